/**
 * Writing a code package's bundle to disk, where Node can import or run it.
 *
 * @module
 */

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodePackage } from './types.js';
import { type UserCacheOptions, userCache } from './user-cache.js';
import { VerifiedCache } from './verified-cache.js';

/**
 * The cache folder next to the flow that holds materialized bundles, one folder per sha.
 *
 * @example
 * ```ts
 * path.join(flowDir, CODE_CACHE_DIR, sha, 'bundle.mjs');
 * ```
 */
export const CODE_CACHE_DIR = path.join('.stepflow-cache', 'code');

/** Errors that mean "this folder cannot be written" (ENOTDIR: `.stepflow-cache` is a file): use the user cache. */
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR']);

/**
 * Rewrites a source map's relative `sources` (meant for `<flowDir>/.stepflow-cache/code/<sha>/`)
 * to absolute file URLs, for a bundle that is written somewhere else.
 */
function relocateSourceMap(sourceMap: Uint8Array, intendedDir: string): Buffer {
  const map = JSON.parse(Buffer.from(sourceMap).toString('utf8')) as { sources?: string[] };
  map.sources = (map.sources ?? []).map((s) => pathToFileURL(path.resolve(intendedDir, s)).href);
  return Buffer.from(JSON.stringify(map));
}

/**
 * Writes a package's bundle and source map to `<flowDir>/.stepflow-cache/code/<sha>/` (if not
 * there yet, or if the files there do not match the sha256 recorded in `code/<sha>.sha256`) and returns
 * the bundle's path. The map's relative sources then point at the real flow files, so
 * `--enable-source-maps` stack traces name `flow.ts`. When `flowDir` is not writable the bundle goes to
 * the per-user cache (`~/.cache/stepflow/code/<sha>/`, see {@link userCache}) with a map whose sources
 * are absolute; never to the shared temp folder.
 *
 * @example
 * ```ts
 * const bundlePath = await materializeCodePackage(pkg, path.dirname(flowFile));
 * const { flowModule } = await import(pathToFileURL(bundlePath).href);
 * ```
 */
export async function materializeCodePackage(
  pkg: Pick<CodePackage, 'sha' | 'bundle' | 'sourceMap'>,
  flowDir: string,
  options: UserCacheOptions = {},
): Promise<string> {
  const cacheRoot = path.join(path.resolve(flowDir), '.stepflow-cache');
  const name = `code/${pkg.sha}`;
  try {
    const cache = new VerifiedCache(cacheRoot, { notice: options.notice });
    const dir = await cache.dir(name, async () => ({
      'bundle.mjs': pkg.bundle,
      'bundle.mjs.map': pkg.sourceMap,
    }));
    await writeFile(path.join(cacheRoot, '.gitignore'), '*\n', { flag: 'wx' }).catch(() => undefined);
    return path.join(dir, 'bundle.mjs');
  } catch (error) {
    if (!NOT_WRITABLE.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    const map = relocateSourceMap(pkg.sourceMap, path.join(flowDir, CODE_CACHE_DIR, pkg.sha));
    const dir = await userCache(options).dir(name, async () => ({
      'bundle.mjs': pkg.bundle,
      'bundle.mjs.map': map,
    }));
    return path.join(dir, 'bundle.mjs');
  }
}
