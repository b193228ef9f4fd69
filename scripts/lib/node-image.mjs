/**
 * The local stand-in's job image: only the host's `node` binary, its shared libraries and glibc's (plus CA
 * certificates, `/tmp`, `/etc/passwd`), built with `docker import` because no registry is reachable.
 *
 * Its environment emulates what the ECS agent gives a Batch job on AWS: `AWS_REGION`/`AWS_DEFAULT_REGION`
 * and `AWS_CONTAINER_CREDENTIALS_FULL_URI`, pointing at the stand-in's loopback credentials endpoint
 * (`creds-server.mjs`) on a port fixed per machine when the image is built and kept in its labels.
 * moto runs the job's command in exec form, so the image has no shell. The image is rebuilt only when
 * it is missing or the host's node binary changed (version + sha256 labels).
 *
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CREDS_PATH } from './creds-server.mjs';
import { docker } from './docker.mjs';

/** The image tag the stand-in builds and tells users to put in METAFLOW_BATCH_CONTAINER_IMAGE. */
export const DEFAULT_IMAGE_TAG = 'stepflow/node-job:local';
/** The region the image (like the ECS agent) announces to jobs. */
export const LOCAL_REGION = 'us-east-1';

/** Label keys. `stepflow` is on every container made from the image, so tests can find them. */
export const LABELS = Object.freeze({
  kind: 'stepflow',
  nodeVersion: 'stepflow.node-version',
  nodeSha256: 'stepflow.node-sha256',
  credsPort: 'stepflow.creds-port',
  layout: 'stepflow.layout',
});

/**
 * Version of the image's layout; an image with another is rebuilt. 2: all of glibc's libraries, as in
 * `node:<major>-slim` (native add-ons such as sharp's libvips need libresolv, which node itself does not).
 */
export const IMAGE_LAYOUT = '2';

/** The labels of a local image, or undefined when there is no such image. */
export function imageLabels(tag) {
  const r = spawnSync('docker', ['image', 'inspect', '--format', '{{json .Config.Labels}}', tag], {
    encoding: 'utf8',
  });
  if (r.status !== 0) return undefined;
  return JSON.parse(r.stdout.trim() || 'null') ?? {};
}

function sha256File(file) {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    fs.createReadStream(file)
      .on('data', (d) => hash.update(d))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

function portFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free loopback port below the usual ephemeral range (so outgoing connections do not take it later). */
export async function pickCredsPort() {
  for (let i = 0; i < 100; i++) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    if (await portFree(port)) return port;
  }
  throw new Error('no free loopback port in 20000-29999 for the credentials endpoint');
}

/**
 * The shared libraries of the host's C library package (glibc: libc6 on Debian), so native add-ons find
 * what a real Node image has; empty when dpkg is not there.
 */
export function glibcLibraries() {
  const r = spawnSync('dpkg', ['-L', 'libc6'], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return r.stdout
    .split('\n')
    .filter((p) => /^\/(usr\/)?lib(64)?\/[^/]*\/?[^/]*\.so[.\d]*$/.test(p) && fs.existsSync(p));
}

/** Absolute paths of the shared libraries (and the dynamic loader) `binary` needs, from `ldd`. */
export function sharedLibraries(binary) {
  const r = spawnSync('ldd', [binary], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ldd ${binary} failed: ${r.stderr.trim() || r.error?.message}`);
  return [...new Set(r.stdout.match(/\/[^ \t\n)]*/g) ?? [])].filter((p) => fs.existsSync(p));
}

function copyInto(root, file, dest = file) {
  const target = path.join(root, dest);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(file, target);
}

/** Lays out the image's root folder: node, its libraries, certificates, /tmp, /root, passwd/group. */
function layoutRoot(root, nodeBinary) {
  copyInto(root, nodeBinary, '/usr/bin/node');
  fs.chmodSync(path.join(root, 'usr/bin/node'), 0o755);
  for (const lib of new Set([...sharedLibraries(nodeBinary), ...glibcLibraries()])) copyInto(root, lib);
  fs.symlinkSync('usr/bin', path.join(root, 'bin'));
  const certs = '/etc/ssl/certs';
  fs.mkdirSync(path.join(root, certs), { recursive: true });
  for (const name of fs.existsSync(certs) ? fs.readdirSync(certs) : []) {
    try {
      copyInto(root, path.join(certs, name));
    } catch {
      // a dangling certificate link: skip it
    }
  }
  for (const dir of ['tmp', 'root']) fs.mkdirSync(path.join(root, dir));
  fs.chmodSync(path.join(root, 'tmp'), 0o1777);
  fs.chmodSync(path.join(root, 'root'), 0o700);
  fs.writeFileSync(
    path.join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/usr/bin/node\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
  );
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
}

/** `tar -C root -c . | docker import --change … - tag`. */
function importRoot(root, tag, changes) {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['-C', root, '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const args = ['import', ...changes.flatMap((c) => ['--change', c]), '-', tag];
    const imp = spawn('docker', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    tar.stderr.on('data', (d) => (err += d));
    imp.stderr.on('data', (d) => (err += d));
    imp.stdout.resume();
    tar.stdout.pipe(imp.stdin);
    const codes = [tar, imp].map((p) => new Promise((r) => p.on('close', (code) => r(code))));
    Promise.all(codes).then(([t, i]) => {
      if (t === 0 && i === 0) resolve(undefined);
      else
        reject(new Error(`building ${tag} failed (tar exit ${t}, docker import exit ${i}): ${err.trim()}`));
    }, reject);
  });
}

/**
 * Makes sure the node-only job image exists and matches the host's node binary; builds it otherwise.
 * `credsPort` forces a rebuild when the image was built for another port; by default the port stored in
 * the image is kept, and a first image gets a free one ({@link pickCredsPort}). `rebuild` always builds.
 *
 * @param {string} [tag]
 * @param {{ nodeBinary?: string, credsPort?: number, rebuild?: boolean }} [options]
 * @returns {Promise<{ tag: string, credsPort: number, built: boolean, nodeVersion: string, ms: number }>}
 * @example
 * ```js
 * const image = await ensureNodeImage();
 * // docker run --rm --network host stepflow/node-job:local node -e 'console.log(1)'
 * ```
 */
export async function ensureNodeImage(tag = DEFAULT_IMAGE_TAG, options = {}) {
  const started = performance.now();
  const nodeBinary = fs.realpathSync(options.nodeBinary ?? process.execPath);
  const nodeVersion = spawnSync(nodeBinary, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const sha256 = await sha256File(nodeBinary);
  const labels = imageLabels(tag);
  const oldPort = Number(labels?.[LABELS.credsPort]) || undefined;
  const current =
    labels !== undefined &&
    labels[LABELS.nodeVersion] === nodeVersion &&
    labels[LABELS.nodeSha256] === sha256 &&
    labels[LABELS.layout] === IMAGE_LAYOUT &&
    oldPort !== undefined &&
    (options.credsPort === undefined || options.credsPort === oldPort);
  if (current && !options.rebuild) {
    return { tag, credsPort: oldPort, built: false, nodeVersion, ms: performance.now() - started };
  }
  const credsPort = options.credsPort ?? oldPort ?? (await pickCredsPort());
  const oldId = labels === undefined ? undefined : docker(['image', 'inspect', '--format', '{{.Id}}', tag]);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-node-image-'));
  try {
    layoutRoot(root, nodeBinary);
    await importRoot(root, tag, [
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'ENV HOME=/root',
      `ENV AWS_REGION=${LOCAL_REGION}`,
      `ENV AWS_DEFAULT_REGION=${LOCAL_REGION}`,
      `ENV AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:${credsPort}${CREDS_PATH}`,
      `LABEL ${LABELS.kind}=node-job ${LABELS.nodeVersion}=${nodeVersion} ${LABELS.nodeSha256}=${sha256} ${LABELS.credsPort}=${credsPort} ${LABELS.layout}=${IMAGE_LAYOUT}`,
      'CMD ["node"]',
    ]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  const newId = docker(['image', 'inspect', '--format', '{{.Id}}', tag]);
  if (oldId && oldId !== newId) spawnSync('docker', ['image', 'rm', oldId], { stdio: 'ignore' });
  return { tag, credsPort, built: true, nodeVersion, ms: performance.now() - started };
}

/**
 * Removes (force) the containers made from stepflow job images (label `stepflow=node-job`) that were
 * created at or after `since` (ms since the epoch; 0: all of them) and, when `motoPort` is given, only
 * those run by the moto server on that port (their `MOTO_PORT`), so a stand-in that stops never removes
 * the running jobs of another one. Returns how many were removed.
 *
 * @example
 * ```js
 * removeJobContainers(startedAt, 43209);
 * ```
 */
export function removeJobContainers(since = 0, motoPort = undefined) {
  const ps = spawnSync('docker', ['ps', '-aq', '--filter', `label=${LABELS.kind}=node-job`], {
    encoding: 'utf8',
  });
  const ids = ps.status === 0 ? ps.stdout.split('\n').filter(Boolean) : [];
  if (ids.length === 0) return 0;
  const inspect = spawnSync(
    'docker',
    ['inspect', '--format', '{{.Id}} {{.Created}} {{json .Config.Env}}', ...ids],
    { encoding: 'utf8' },
  );
  const mine = ownJobContainers(inspect.stdout ?? '', { since, motoPort });
  if (mine.length > 0) spawnSync('docker', ['rm', '-f', ...mine], { stdio: 'ignore' });
  return mine.length;
}

/**
 * The ids, among `docker inspect --format '{{.Id}} {{.Created}} {{json .Config.Env}}'` lines, of the
 * containers created at or after `since` (less a second) and, when `motoPort` is given, run by that moto.
 *
 * @example
 * ```js
 * ownJobContainers('abc 2026-12-03T12:00:00Z ["MOTO_PORT=43209"]', { since: 0, motoPort: 43209 }); // ['abc']
 * ```
 */
export function ownJobContainers(inspectOutput, { since = 0, motoPort = undefined } = {}) {
  const ids = [];
  for (const line of inspectOutput.split('\n')) {
    const [id, created, ...rest] = line.split(' ');
    if (!id || !(Date.parse(created) >= since - 1000)) continue;
    if (motoPort !== undefined) {
      let env = [];
      try {
        env = JSON.parse(rest.join(' ')) ?? [];
      } catch {}
      if (!env.includes(`MOTO_PORT=${motoPort}`)) continue;
    }
    ids.push(id);
  }
  return ids;
}
