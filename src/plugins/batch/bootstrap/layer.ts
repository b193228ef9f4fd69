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
import { gunzipSync } from 'node:zlib';
import { type Env, type Fetch, resolveCredentials } from './credentials.js';
import { s3ObjectUrl, signRequest } from './sigv4.js';
import { readUstarEntries } from './ustar.js';

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

/**
 * Downloads a stored layer (header byte `0x00` + tar.gz of `size` bytes): one GET when it fits in a part,
 * else ranged GETs of `partSize`, `concurrency` at a time, written into one buffer. Checks the header byte
 * and the sha256; returns the tar.gz.
 *
 * @example
 * ```ts
 * const archive = await fetchLayer(url, sha, size, env, fetch);
 * ```
 */
export async function fetchLayer(
  location: string,
  sha: string,
  size: number,
  env: Env,
  fetchImpl: Fetch,
  { partSize = LAYER_PART_SIZE, concurrency = LAYER_CONCURRENCY } = {},
): Promise<Buffer> {
  const total = size + 1;
  let blob: Buffer;
  if (!Number.isSafeInteger(size) || size <= 0 || total <= partSize) {
    blob = await signedGet(location, env, fetchImpl);
  } else {
    blob = Buffer.allocUnsafe(total);
    const parts: [number, number][] = [];
    for (let start = 0; start < total; start += partSize) {
      parts.push([start, Math.min(total, start + partSize) - 1]);
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < parts.length) {
        const part = parts[next++] as [number, number];
        (await signedGet(location, env, fetchImpl, part)).copy(blob, part[0]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, parts.length) }, worker));
  }
  if (blob[0] !== 0) throw new Error(`the stored layer ${location} has header byte ${blob[0]}, expected 0`);
  const archive = blob.subarray(1);
  const actual = createHash('sha256').update(archive).digest('hex');
  if (actual !== sha) throw new Error(`the dependency layer's sha256 is ${actual}, expected ${sha}`);
  return archive;
}

/** `path` inside `root`, or an error (no absolute paths, no `..` out of it). */
function inside(root: string, path: string, what: string): string {
  const target = resolve(root, path);
  if (isAbsolute(path) || (target !== root && !target.startsWith(root + sep))) {
    throw new Error(`the dependency layer's ${what} ${JSON.stringify(path)} points outside ${root}`);
  }
  return target;
}

/**
 * Unpacks a layer's tar.gz into `dir` (its entries are `node_modules/...`): files with their modes
 * (executable bits of binaries kept), folders, and symlinks whose targets stay inside `dir`. Returns the
 * number of files written.
 *
 * @example
 * ```ts
 * unpackLayer(archive, '/tmp/stepflow-code-0123'); // /tmp/stepflow-code-0123/node_modules/...
 * ```
 */
export function unpackLayer(archive: Buffer, dir: string): number {
  const root = resolve(dir);
  let files = 0;
  const made = new Set<string>();
  const folder = (path: string): void => {
    if (made.has(path)) return;
    mkdirSync(path, { recursive: true });
    made.add(path);
  };
  for (const entry of readUstarEntries(gunzipSync(archive))) {
    const target = inside(root, normalize(entry.path), 'entry');
    if (entry.type === 'dir') {
      folder(target);
    } else if (entry.type === 'symlink') {
      inside(
        root,
        isAbsolute(entry.linkname) ? entry.linkname : join(dirname(entry.path), entry.linkname),
        `symlink ${entry.path} →`,
      );
      folder(dirname(target));
      rmSync(target, { force: true });
      symlinkSync(entry.linkname, target);
    } else {
      folder(dirname(target));
      writeFileSync(target, entry.data, { mode: entry.mode & 0o777 || 0o644 });
      files++;
    }
  }
  return files;
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
