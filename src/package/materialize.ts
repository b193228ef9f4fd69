/**
 * Writing a code package's bundle to disk, where Node can import or run it.
 *
 * @module
 */

import { access, mkdir, mkdtemp, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { materializeLayer } from './layer/materialize-layer.js';
import type { CodePackage } from './types.js';

/**
 * The cache folder next to the flow that holds materialized bundles, one folder per sha.
 *
 * @example
 * ```ts
 * path.join(flowDir, CODE_CACHE_DIR, sha, 'bundle.mjs');
 * ```
 */
export const CODE_CACHE_DIR = path.join('.stepflow-cache', 'code');

const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false,
  );

/** A junction on Windows needs no privilege; elsewhere the type is ignored. */
const LINK_TYPE = process.platform === 'win32' ? 'junction' : 'dir';

/** Errors that mean "this folder cannot be written" (ENOTDIR: `.stepflow-cache` is a file): use the temp folder. */
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR']);

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
 * Writes `bundle.mjs` and `bundle.mjs.map` into `<parent>/<sha>/`, atomically: both files go to a
 * temp folder that is then renamed. A concurrent writer that wins the rename is fine.
 */
async function writeAtomically(
  parent: string,
  sha: string,
  bundle: Uint8Array,
  map: Uint8Array,
  layerDir?: string,
): Promise<string> {
  const dir = path.join(parent, sha);
  const bundlePath = path.join(dir, 'bundle.mjs');
  if ((await exists(bundlePath)) && (await exists(`${bundlePath}.map`))) {
    if (layerDir !== undefined) await pointAt(dir, path.join(layerDir, 'node_modules'));
    return bundlePath;
  }
  await mkdir(parent, { recursive: true });
  const tmp = await mkdtemp(path.join(parent, `.tmp-${sha.slice(0, 12)}-`));
  try {
    await writeFile(path.join(tmp, 'bundle.mjs'), bundle);
    await writeFile(path.join(tmp, 'bundle.mjs.map'), map);
    if (layerDir !== undefined)
      await symlink(path.join(layerDir, 'node_modules'), path.join(tmp, 'node_modules'), LINK_TYPE);
    await rename(tmp, dir);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    // Another writer renamed its copy first: same sha, same bytes.
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await exists(bundlePath))) {
      if (layerDir !== undefined) await pointAt(dir, path.join(layerDir, 'node_modules'));
      return bundlePath;
    }
    throw error;
  }
  return bundlePath;
}

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
 * there yet) and returns the bundle's path. The map's relative sources then point at the real flow
 * files, so `--enable-source-maps` stack traces name `flow.ts`. When `flowDir` is not writable the
 * bundle goes to `<os.tmpdir()>/stepflow-code/<sha>/` with a map whose sources are absolute.
 *
 * A package with a dependency layer goes to `<sha>-<layer sha[0:16]>/`, whose `node_modules` links to
 * the layer unpacked in the per-user cache: the bundle's external imports resolve there, the same
 * layout as in a job, and not from the project's `node_modules`.
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
  options: { cacheDir?: string } = {},
): Promise<string> {
  const cacheRoot = path.join(path.resolve(flowDir), '.stepflow-cache');
  const parent = path.join(path.resolve(flowDir), CODE_CACHE_DIR);
  const layerDir = pkg.layer === undefined ? undefined : await materializeLayer(pkg.layer, options.cacheDir);
  const name = pkg.layer === undefined ? pkg.sha : `${pkg.sha}-${pkg.layer.sha256.slice(0, 16)}`;
  try {
    const bundlePath = await writeAtomically(parent, name, pkg.bundle, pkg.sourceMap, layerDir);
    await writeFile(path.join(cacheRoot, '.gitignore'), '*\n', { flag: 'wx' }).catch(() => undefined);
    return bundlePath;
  } catch (error) {
    if (!NOT_WRITABLE.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    const map = relocateSourceMap(pkg.sourceMap, path.join(parent, name));
    return writeAtomically(path.join(os.tmpdir(), 'stepflow-code'), name, pkg.bundle, map, layerDir);
  }
}
