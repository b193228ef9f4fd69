/**
 * The dependency layer in the container bootstrap: downloaded from S3 with SigV4-signed GETs (in parallel
 * ranged parts when large), its sha256 checked, and unpacked as `node_modules/` next to the bundle, file
 * modes and symlinks kept; nothing is installed. Packages the image provides (`STEPFLOW_IMAGE_PACKAGES`)
 * are linked into that `node_modules` from the image's folders, so the bundle's ESM imports find them
 * (ESM resolution ignores `NODE_PATH`). Imports node built-ins only.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { createGunzip, gunzipSync } from 'node:zlib';
import { type Env, type Fetch, resolveCredentials } from './credentials.js';
import { s3ObjectUrl, signRequest } from './sigv4.js';
import { readUstarEntries, type UstarEntry, UstarReader } from './ustar.js';

/** Part size of the ranged GETs of a large layer. */
export const LAYER_PART_SIZE = 8 * 2 ** 20;
/** Ranged GETs in flight at once. */
export const LAYER_CONCURRENCY = 8;

type Response = Awaited<ReturnType<Fetch>> & {
  arrayBuffer?(): Promise<ArrayBuffer>;
  headers?: { get(name: string): string | null };
};

/**
 * One SigV4-signed GET of an `s3://` object (or of a byte range of it), following a region redirect and
 * retrying transient failures (5 tries, 1 s doubling).
 *
 * @example
 * ```ts
 * const head = await signedGet('s3://b/k', env, fetch, [0, 1023]);
 * ```
 */
export async function signedGet(
  location: string,
  env: Env,
  fetchImpl: Fetch,
  range?: readonly [number, number],
): Promise<Buffer> {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  if (!m) throw new Error(`not an s3:// URL: ${location}`);
  const [, bucket, key] = m as unknown as [string, string, string];
  let region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const endpoint = env.METAFLOW_S3_ENDPOINT_URL || undefined;
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
    try {
      const credentials = await resolveCredentials(env, fetchImpl);
      const url = s3ObjectUrl(bucket, key, region, endpoint);
      const extra: Record<string, string> = range ? { range: `bytes=${range[0]}-${range[1]}` } : {};
      const headers = signRequest({
        method: 'GET',
        url,
        region,
        service: 's3',
        credentials,
        headers: extra,
        payloadHash: 'UNSIGNED-PAYLOAD',
      });
      const res = (await fetchImpl(url.href, { headers: { ...extra, ...headers } })) as Response;
      if (res.ok && res.arrayBuffer) {
        const body = Buffer.from(await res.arrayBuffer());
        if (range && body.length !== range[1] - range[0] + 1) {
          throw new Error(`bytes ${range[0]}-${range[1]}: got ${body.length} bytes (HTTP ${res.status})`);
        }
        return body;
      }
      const moved = res.headers?.get('x-amz-bucket-region');
      lastError = `HTTP ${res.status} ${(await res.text()).slice(0, 300)}`;
      if (moved && moved !== region) region = moved;
      else if (res.status === 403 || res.status === 404) attempt++;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
  }
  throw new Error(`could not download ${location}: ${lastError}`);
}

/** `path` inside `root`, or an error (no absolute paths, no `..` out of it). */
function inside(root: string, path: string, what: string): string {
  const target = resolve(root, path);
  if (isAbsolute(path) || (target !== root && !target.startsWith(root + sep))) {
    throw new Error(`the dependency layer's ${what} ${JSON.stringify(path)} points outside ${root}`);
  }
  return target;
}

/** Writes tar entries under `dir` (files with their modes, folders, symlinks), refusing escapes. */
function entryWriter(dir: string): { write(entry: UstarEntry): void; files: number } {
  const root = resolve(dir);
  const made = new Set<string>();
  const folder = (path: string): void => {
    if (made.has(path)) return;
    mkdirSync(path, { recursive: true });
    made.add(path);
  };
  const out = {
    files: 0,
    write(entry: UstarEntry): void {
      const target = inside(root, normalize(entry.path), 'entry');
      if (entry.type === 'dir') {
        folder(target);
        return;
      }
      folder(dirname(target));
      if (entry.type === 'symlink') {
        const to = isAbsolute(entry.linkname) ? entry.linkname : join(dirname(entry.path), entry.linkname);
        inside(root, to, `symlink ${entry.path} →`);
        rmSync(target, { force: true });
        symlinkSync(entry.linkname, target);
      } else {
        writeFileSync(target, entry.data, { mode: entry.mode & 0o777 || 0o644 });
        out.files++;
      }
    },
  };
  return out;
}

/**
 * Unpacks a layer's tar.gz into `dir` (its entries are `node_modules/...`): files with their modes
 * (executable bits kept), folders, and symlinks whose targets stay inside `dir`. Returns the number of
 * files written.
 *
 * @example
 * ```ts
 * unpackLayer(archive, '/tmp/stepflow-code-0123'); // /tmp/stepflow-code-0123/node_modules/...
 * ```
 */
export function unpackLayer(archive: Buffer, dir: string): number {
  const writer = entryWriter(dir);
  for (const entry of readUstarEntries(gunzipSync(archive))) writer.write(entry);
  return writer.files;
}

/**
 * Downloads a stored layer (header byte `0x00` + tar.gz of `size` bytes) and unpacks it into `dir` as it
 * arrives: one GET when it fits in a part, else ranged GETs of `partSize`, `concurrency` at a time; the
 * parts are hashed and gunzipped in order while later ones download, and each entry is written as soon
 * as it is complete. The sha256 is checked at the end (nothing runs before it is). Returns the number
 * of files written.
 *
 * @example
 * ```ts
 * const files = await fetchLayer(url, sha, size, env, fetch, dir);
 * ```
 */
export async function fetchLayer(
  location: string,
  sha: string,
  size: number,
  env: Env,
  fetchImpl: Fetch,
  dir: string,
  { partSize = LAYER_PART_SIZE, concurrency = LAYER_CONCURRENCY } = {},
): Promise<number> {
  const total = size + 1;
  const parts: (readonly [number, number] | undefined)[] = [];
  if (!Number.isSafeInteger(size) || size <= 0 || total <= partSize) parts.push(undefined);
  else for (let at = 0; at < total; at += partSize) parts.push([at, Math.min(total, at + partSize) - 1]);
  const writer = entryWriter(dir);
  const reader = new UstarReader((entry) => writer.write(entry));
  const hash = createHash('sha256');
  const gunzip = createGunzip();
  let failed: unknown;
  const unzipped = new Promise<void>((done) => {
    gunzip.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (err) {
        failed ??= err;
        gunzip.destroy();
      }
    });
    gunzip.on('end', done).on('close', done);
    gunzip.on('error', (err) => {
      failed ??= err;
      done();
    });
  });
  const got: (Buffer | undefined)[] = [];
  let fed = 0;
  const feed = (): void => {
    for (let data = got[fed]; data !== undefined && !failed; data = got[++fed]) {
      got[fed] = undefined;
      if (fed === 0) {
        if (data[0] !== 0)
          throw new Error(`the stored layer ${location} has header byte ${data[0]}, expected 0`);
        data = data.subarray(1);
      }
      hash.update(data);
      gunzip.write(data);
    }
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < parts.length && !failed) {
      const i = next++;
      got[i] = await signedGet(location, env, fetchImpl, parts[i]);
      feed();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, parts.length) }, worker));
  gunzip.end();
  await unzipped;
  const actual = hash.digest('hex');
  if (actual !== sha) throw new Error(`the dependency layer's sha256 is ${actual}, expected ${sha}`);
  if (failed) throw failed;
  if (reader.pending) throw new Error('the dependency layer is cut short');
  return writer.files;
}

/**
 * Links each package the image provides into `<dir>/node_modules/<name>` from the first folder of
 * `searchPath` that holds `<name>/package.json`; a package found in none is an error naming it, the
 * folders, and the settings to check.
 *
 * @example
 * ```ts
 * linkImagePackages(['sharp'], ['/app/node_modules', '/usr/local/lib/node_modules'], dir);
 * ```
 */
export function linkImagePackages(
  names: readonly string[],
  searchPath: readonly string[],
  dir: string,
): Map<string, string> {
  const linked = new Map<string, string>();
  for (const name of names) {
    const found = searchPath.map((p) => join(p, name)).find((p) => existsSync(join(p, 'package.json')));
    if (!found) {
      throw new Error(
        `package ${name} (imagePackages / STEPFLOW_BATCH_IMAGE_PACKAGES) is in none of ${searchPath.join(', ')} ` +
          'in this image: install it there, name its folder in STEPFLOW_BATCH_IMAGE_NODE_PATH, or drop it from imagePackages to ship it.',
      );
    }
    const link = join(dir, 'node_modules', name);
    if (existsSync(link)) continue;
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(found, link, 'dir');
    linked.set(name, found);
  }
  return linked;
}
