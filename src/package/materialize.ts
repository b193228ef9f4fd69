/**
 * Writing a code package's bundle to disk, where Node can import or run it.
 *
 * @module
 */

import { readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { materializeLayer } from './layer/materialize-layer.js';
import type { CodePackage } from './types.js';
import { type UserCacheOptions, userCache, userCacheDir } from './user-cache.js';
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

/** A junction on Windows needs no privilege; elsewhere the type is ignored. */
const LINK_TYPE = process.platform === 'win32' ? 'junction' : 'dir';

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
 * Makes `<dir>/node_modules` a link to `target` (an earlier run may have linked a layer unpacked in
 * another cache, since removed): a new link renamed over the old one, so readers never see none.
 */
async function pointAt(dir: string, target: string): Promise<void> {
  const link = path.join(dir, 'node_modules');
  if ((await readlink(link).catch(() => undefined)) === target) return;
  const tmp = `${link}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await symlink(target, tmp, LINK_TYPE);
  await rename(tmp, link).catch(async (error) => {
    await rm(tmp, { force: true });
    throw error;
  });
}

/**
 * A package with a dependency layer: the verified bundle folder `code/<sha>-<layer sha[0:16]>/bundle/`
 * (its map's sources made absolute, as it sits one level deeper) beside `node_modules`, a link to the
 * layer unpacked in the per-user cache.
 */
async function materializeLayered(
  pkg: Pick<CodePackage, 'sha' | 'bundle' | 'sourceMap'> & { layer: NonNullable<CodePackage['layer']> },
  flowDir: string,
  options: UserCacheOptions & { cacheDir?: string },
): Promise<string> {
  const layerDir = await materializeLayer(pkg.layer, options.cacheDir ?? userCacheDir(options.env));
  const name = `code/${pkg.sha}-${pkg.layer.sha256.slice(0, 16)}`;
  const map = relocateSourceMap(pkg.sourceMap, path.join(path.resolve(flowDir), CODE_CACHE_DIR, pkg.sha));
  const write = async (cache: VerifiedCache): Promise<string> => {
    const dir = await cache.dir(`${name}/bundle`, async () => ({
      'bundle.mjs': pkg.bundle,
      'bundle.mjs.map': map,
    }));
    await pointAt(path.dirname(dir), path.join(layerDir, 'node_modules'));
    return path.join(dir, 'bundle.mjs');
  };
  const cacheRoot = path.join(path.resolve(flowDir), '.stepflow-cache');
  try {
    const bundlePath = await write(new VerifiedCache(cacheRoot, { notice: options.notice }));
    await writeFile(path.join(cacheRoot, '.gitignore'), '*\n', { flag: 'wx' }).catch(() => undefined);
    return bundlePath;
  } catch (error) {
    if (!NOT_WRITABLE.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    return write(userCache(options));
  }
}

/**
 * Writes a package's bundle and source map to `<flowDir>/.stepflow-cache/code/<sha>/` (if not
 * there yet, or if the files there do not match the sha256 recorded in `code/<sha>.sha256`) and returns
 * the bundle's path. The map's relative sources then point at the real flow files, so
 * `--enable-source-maps` stack traces name `flow.ts`. When `flowDir` is not writable the bundle goes to
 * the per-user cache (`~/.cache/stepflow/code/<sha>/`, see {@link userCache}) with a map whose sources
 * are absolute; never to the shared temp folder.
 *
 * A package with a dependency layer goes to `code/<sha>-<layer sha[0:16]>/bundle/`, next to a
 * `node_modules` link to the layer unpacked in the per-user cache: the bundle's external imports
 * resolve there, the same layout as in a job, and not from the project's `node_modules`.
 *
 * @example
 * ```ts
 * const bundlePath = await materializeCodePackage(pkg, path.dirname(flowFile));
 * const { flowModule } = await import(pathToFileURL(bundlePath).href);
 * ```
 */
export async function materializeCodePackage(
  pkg: Pick<CodePackage, 'sha' | 'bundle' | 'sourceMap' | 'layer'>,
  flowDir: string,
  options: UserCacheOptions & { cacheDir?: string } = {},
): Promise<string> {
  if (pkg.layer !== undefined) return materializeLayered({ ...pkg, layer: pkg.layer }, flowDir, options);
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
