/**
 * The dependency layer's way into a container, against moto's S3: stored content-addressed (multipart when
 * large, nothing uploaded the second time), downloaded with parallel ranged SigV4 GETs, checked, and
 * unpacked with modes, symlinks and long paths (an archive made by GNU tar, not by our own writer); the
 * image's packages linked so an ESM bundle imports them.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { awsEndpoint, createTestBucket, TEST_AWS_ENV } from '../../../../test/support/aws.js';
import { S3Storage } from '../../../datastore/s3/s3-storage.js';
import { writeTar } from '../../../package/tar.js';
import { storeLayer } from '../package/ship-layers.js';
import type { Fetch } from './credentials.js';
import { fetchLayer, linkImagePackages, unpackLayer } from './layer.js';

const LONG = `node_modules/@scope/${'deep-folder-name/'.repeat(6)}data.json`;

/** A small node_modules made on disk and packed by GNU tar (pax format: long names, modes, a symlink). */
function makeLayer(dir: string, noise: Buffer): { archive: Buffer; sha: string } {
  const src = path.join(dir, 'src');
  const pkg = path.join(src, 'node_modules', 'native-thing');
  mkdirSync(path.join(pkg, 'build'), { recursive: true });
  writeFileSync(
    path.join(pkg, 'package.json'),
    '{"name":"native-thing","version":"1.0.0","main":"index.js"}',
  );
  writeFileSync(
    path.join(pkg, 'index.js'),
    "const fs = require('node:fs'); exports.bytes = fs.readFileSync(require('node:path').join(__dirname, 'build', 'addon.node')).length;",
  );
  writeFileSync(path.join(pkg, 'build', 'addon.node'), noise, { mode: 0o755 });
  mkdirSync(path.join(src, 'node_modules', '.bin'), { recursive: true });
  execFileSync('ln', [
    '-s',
    '../native-thing/index.js',
    path.join(src, 'node_modules', '.bin', 'native-thing'),
  ]);
  mkdirSync(path.dirname(path.join(src, LONG)), { recursive: true });
  writeFileSync(path.join(src, LONG), '{"long":true}');
  const tarFile = path.join(dir, 'layer.tar.gz');
  execFileSync('tar', ['--format=pax', '--sort=name', '-C', src, '-czf', tarFile, 'node_modules']);
  const archive = readFileSync(tarFile);
  return { archive, sha: createHash('sha256').update(archive).digest('hex') };
}

/** fetch that counts the ranged GETs it sends. */
function countingFetch(ranges: string[]): Fetch {
  return (async (url: string, init?: { headers?: Record<string, string> }) => {
    if (init?.headers?.range) ranges.push(init.headers.range);
    return fetch(url, init as RequestInit);
  }) as unknown as Fetch;
}

describe('dependency layer: S3 (moto) → container folder', () => {
  it('is stored once by sha (multipart), fetched in parallel ranged parts, checked and unpacked with modes and symlinks', async (t) => {
    const endpoint = awsEndpoint(t);
    if (!endpoint) return;
    const dir = await mkdtemp(path.join(tmpdir(), 'stepflow-layer-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const noise = randomBytes(6 * 2 ** 20 + 12345); // does not compress: a 6 MiB+ archive
    const { archive, sha } = makeLayer(dir, noise);
    writeFileSync(path.join(dir, 'layer.tgz'), archive);
    const bucket = await createTestBucket(endpoint);
    const storage = new S3Storage(`s3://${bucket}/root`, {
      endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      multipartThreshold: 5 * 2 ** 20,
      partSize: 5 * 2 ** 20,
    });
    t.after(() => storage.close());
    const layer = {
      sha256: sha,
      size: archive.length,
      archivePath: path.join(dir, 'layer.tgz'),
      platform: { os: 'linux', cpu: 'x64', libc: 'glibc' } as const,
      packages: [{ name: 'native-thing', version: '1.0.0' }],
      files: 4,
    };
    const first = await storeLayer(storage, 'DepsFlow', layer, layer.platform);
    assert.equal(first.uploaded, true);
    assert.equal(first.url, `s3://${bucket}/root/DepsFlow/data/${sha.slice(0, 2)}/${sha}`);
    const etag = (
      await fetch(`${endpoint}/${bucket}/root/DepsFlow/data/${sha.slice(0, 2)}/${sha}`, { method: 'HEAD' })
    ).headers.get('etag');
    assert.match(etag ?? '', /-2"$/, 'uploaded as a 2-part multipart upload');
    const second = await storeLayer(storage, 'DepsFlow', layer, layer.platform);
    assert.equal(second.uploaded, false, 'the same sha is not uploaded again');

    const env = { ...TEST_AWS_ENV, METAFLOW_S3_ENDPOINT_URL: endpoint };
    const ranges: string[] = [];
    const code = path.join(dir, 'code');
    const files = await fetchLayer(first.url, sha, archive.length, env, countingFetch(ranges), code, {
      partSize: 2 ** 20,
      concurrency: 4,
    });
    assert.equal(files, 4);
    assert.equal(ranges.length, Math.ceil((archive.length + 1) / 2 ** 20));
    assert.equal(ranges[0], 'bytes=0-1048575');
    await assert.rejects(
      fetchLayer(first.url, 'f'.repeat(64), archive.length, env, countingFetch([]), path.join(dir, 'x'), {
        partSize: 2 ** 20,
      }),
      /dependency layer's sha256 is [0-9a-f]{64}, expected f{64}/,
    );
    assert.equal(
      unpackLayer(archive, code),
      4,
      'unpacking again over the same folder works (symlinks replaced)',
    );
    const addon = path.join(code, 'node_modules', 'native-thing', 'build', 'addon.node');
    assert.equal(lstatSync(addon).mode & 0o777, 0o755, 'an executable stays executable');
    assert.ok(readFileSync(addon).equals(noise));
    const bin = path.join(code, 'node_modules', '.bin', 'native-thing');
    assert.ok(lstatSync(bin).isSymbolicLink());
    assert.equal(readlinkSync(bin), '../native-thing/index.js');
    assert.equal(readFileSync(path.join(code, LONG), 'utf8'), '{"long":true}', 'a path over 100 bytes');
    // Node's ordinary resolution finds the package from a bundle beside node_modules.
    writeFileSync(
      path.join(code, 'bundle.mjs'),
      "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url); console.log(require('native-thing').bytes);",
    );
    const run = spawnSync(process.execPath, [path.join(code, 'bundle.mjs')], { encoding: 'utf8' });
    assert.equal(run.stdout.trim(), String(noise.length), run.stderr);
  });

  it('refuses entries and symlinks that point outside the folder', async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'stepflow-layer-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const evil = gzipSync(writeTar([{ name: '../evil.js', data: Buffer.from('x') }]));
    assert.throws(() => unpackLayer(evil, path.join(dir, 'a')), /entry "\.\.\/evil\.js" points outside/);
    const src = path.join(dir, 'src', 'node_modules');
    mkdirSync(src, { recursive: true });
    execFileSync('ln', ['-s', '/etc/passwd', path.join(src, 'passwd')]);
    execFileSync('tar', ['-C', path.join(dir, 'src'), '-czf', path.join(dir, 'l.tgz'), 'node_modules']);
    assert.throws(
      () => unpackLayer(readFileSync(path.join(dir, 'l.tgz')), path.join(dir, 'b')),
      /symlink node_modules\/passwd → "\/etc\/passwd" points outside/,
    );
  });

  it("links the image's packages so an ESM import in the bundle loads the image's copy; a missing one is named", async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'stepflow-layer-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const image = path.join(dir, 'usr-local-lib-node_modules');
    for (const name of ['@img/thing', 'plain']) {
      mkdirSync(path.join(image, name), { recursive: true });
      writeFileSync(
        path.join(image, name, 'package.json'),
        `{"name":"${name}","type":"module","exports":"./index.js"}`,
      );
      writeFileSync(path.join(image, name, 'index.js'), `export const where = import.meta.url;`);
    }
    const code = path.join(dir, 'code');
    mkdirSync(code);
    const linked = linkImagePackages(['@img/thing', 'plain'], [path.join(dir, 'app'), image], code);
    assert.deepEqual([...linked.keys()], ['@img/thing', 'plain']);
    writeFileSync(
      path.join(code, 'bundle.mjs'),
      "import { where } from '@img/thing'; import { where as w2 } from 'plain'; console.log(where); console.log(w2);",
    );
    const run = spawnSync(process.execPath, [path.join(code, 'bundle.mjs')], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const real = realpathSync(image);
    assert.deepEqual(run.stdout.trim().split('\n'), [
      `file://${real}/@img/thing/index.js`,
      `file://${real}/plain/index.js`,
    ]);
    assert.throws(
      () => linkImagePackages(['sharp'], ['/app/node_modules', image], code),
      /package sharp \(imagePackages \/ STEPFLOW_BATCH_IMAGE_PACKAGES\) is in none of \/app\/node_modules, .* STEPFLOW_BATCH_IMAGE_NODE_PATH/,
    );
  });
});
