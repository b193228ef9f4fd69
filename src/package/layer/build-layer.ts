/**
 * Building the dependency layer: the packages a bundle leaves external, traced for the job's platform
 * and packed into a deterministic `tar.gz` of `node_modules/...`, cached per user by its inputs.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../config/index.js';
import { userCacheDir } from '../user-cache.js';
import { findPackageDir } from './detect.js';
import { LayerTooLargeError, type PackageSize } from './errors.js';
import { packLayer } from './pack.js';
import { hostPlatform, type Platform, platformLabel, samePlatform } from './platform.js';
import { findLockfile, platformTree, platformTreeKey } from './platform-tree.js';
import { traceLayer } from './trace.js';

/**
 * A dependency layer: what the bundle imports but cannot contain, as a `node_modules` tree packed
 * into a deterministic archive stored by its sha256.
 *
 * @example
 * ```ts
 * const layer: DependencyLayer | undefined = (await buildCodePackage('flow.ts', { layer: { platform } })).layer;
 * console.log(layer?.sha256, layer?.size, layer?.packages);
 * ```
 */
export interface DependencyLayer {
  /** sha256 (hex) of the archive bytes: the layer's content address. */
  readonly sha256: string;
  /** Archive bytes. */
  readonly size: number;
  /** The deterministic `tar.gz` of `node_modules/...` in the per-user cache. */
  readonly archivePath: string;
  readonly platform: Platform;
  /** Every package with files in the layer. */
  readonly packages: readonly { name: string; version: string }[];
  /** Files in the archive. */
  readonly files: number;
}

/**
 * Options of {@link buildDependencyLayer}.
 *
 * @example
 * ```ts
 * const options: BuildLayerOptions = { flowDir: '/p', specifiers: ['sharp'], platform: parsePlatform('linux-arm64') };
 * ```
 */
export interface BuildLayerOptions {
  /** The flow's folder: packages are resolved from here (or from the platform tree of its lockfile). */
  readonly flowDir: string;
  /** Bare specifiers the bundle leaves external. */
  readonly specifiers: readonly string[];
  readonly platform: Platform;
  /** Package names the job's image supplies: not shipped. */
  readonly provided?: readonly string[];
  /** Refuse a layer whose files add up to more (default `STEPFLOW_LAYER_MAX_MB`, 2048 MiB). */
  readonly maxBytes?: number;
  /** The per-user cache (default {@link userCacheDir}). */
  readonly cacheDir?: string;
}

/** Bumped when the layer's layout changes, so old cache entries are not reused. */
const LAYER_FORMAT = 'stepflow-layer-v1';

/**
 * Default of `STEPFLOW_LAYER_MAX_MB`.
 *
 * @example
 * ```ts
 * const maxBytes = DEFAULT_LAYER_MAX_MB * 1024 * 1024;
 * ```
 */
export const DEFAULT_LAYER_MAX_MB = 2048;

const packageNameOf = (specifier: string): string =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/** What the installed packages are, cheaply: their package.json and npm's hidden lockfiles. */
function installedKey(resolveFrom: string, specifiers: readonly string[]): string {
  const hash = createHash('sha256');
  const hiddenLocks = new Set<string>();
  for (const specifier of specifiers) {
    const dir = findPackageDir(resolveFrom, packageNameOf(specifier));
    hash.update(`${specifier}\0${dir ?? '-'}\0`);
    if (dir === null) continue;
    hash.update(readFileSync(path.join(dir, 'package.json')));
    const parts = dir.split(path.sep);
    for (let i = parts.length - 1; i >= 0; i--) {
      if (parts[i] === 'node_modules')
        hiddenLocks.add(path.join(parts.slice(0, i + 1).join(path.sep), '.package-lock.json'));
    }
  }
  for (const lock of [...hiddenLocks].sort()) {
    hash.update(lock);
    if (existsSync(lock)) hash.update(readFileSync(lock));
  }
  return hash.digest('hex');
}

/** A cache entry: the layer, with what the size limit is checked against. */
interface IndexEntry {
  readonly layer: DependencyLayer;
  /** Bytes of the files before packing. */
  readonly bytes: number;
  /** `name@version` → bytes. */
  readonly packageBytes: readonly PackageSize[];
}

async function readCached(indexFile: string): Promise<IndexEntry | undefined> {
  let entry: IndexEntry;
  try {
    entry = JSON.parse(await readFile(indexFile, 'utf8')) as IndexEntry;
  } catch {
    return undefined;
  }
  const layer = entry.layer;
  if (layer === undefined) return undefined;
  // The sha256 recorded at creation must still match the archive's bytes.
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(layer.archivePath)) {
      size += (chunk as Buffer).length;
      hash.update(chunk as Buffer);
    }
  } catch {
    return undefined;
  }
  if (size !== layer.size || hash.digest('hex') !== layer.sha256) return undefined;
  return entry;
}

async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  await writeFile(tmp, data, { mode: 0o600 });
  await rename(tmp, file).catch(async (error) => {
    await rm(tmp, { force: true });
    throw error;
  });
}

/**
 * Builds (or takes from the per-user cache) the dependency layer of a bundle's external packages for
 * `platform`. On the launching machine's own platform the installed `node_modules` are traced; for
 * another one, a tree installed by npm for that platform from the project's lockfile. Returns
 * `undefined` when nothing needs a layer. Throws a `LayerPlatformError` for a package without a build
 * for the platform, a `LayerTooLargeError` over `maxBytes`, a `LayerInstallError` when npm fails.
 *
 * @example
 * ```ts
 * const layer = await buildDependencyLayer({ flowDir, specifiers: pkg.manifest.externals, platform: parsePlatform('linux-arm64') });
 * ```
 */
export async function buildDependencyLayer(options: BuildLayerOptions): Promise<DependencyLayer | undefined> {
  const provided = new Set(options.provided ?? []);
  const specifiers = [...new Set(options.specifiers)]
    .filter((s) => !s.startsWith('.') && !path.isAbsolute(s) && !provided.has(packageNameOf(s)))
    .sort();
  if (specifiers.length === 0) return undefined;
  const platform = options.platform;
  const label = platformLabel(platform);
  const cacheDir = options.cacheDir ?? userCacheDir();
  const flowDir = path.resolve(options.flowDir);

  let resolveFrom = flowDir;
  let treeKey: string;
  if (samePlatform(platform, hostPlatform())) {
    treeKey = `host\0${installedKey(flowDir, specifiers)}`;
  } else {
    const found = await findLockfile(flowDir);
    treeKey =
      found === undefined ? 'no-lockfile' : `tree\0${await platformTreeKey(found.lockfile, platform)}`;
    resolveFrom = await platformTree(flowDir, platform, cacheDir);
  }
  const key = sha256(
    [LAYER_FORMAT, label, treeKey, flowDir, specifiers.join(','), [...provided].sort().join(',')].join('\0'),
  );
  const layersDir = path.join(cacheDir, 'layers');
  const indexFile = path.join(layersDir, 'index', `${key}.json`);
  const maxBytes =
    options.maxBytes ?? (loadConfig().get('LAYER_MAX_MB') ?? DEFAULT_LAYER_MAX_MB) * 1024 * 1024;
  const checkSize = (total: number, packageBytes: readonly PackageSize[]): void => {
    if (total > maxBytes) throw new LayerTooLargeError(total, maxBytes, packageBytes, { platform: label });
  };
  const cached = await readCached(indexFile);
  if (cached !== undefined) {
    checkSize(cached.bytes, cached.packageBytes);
    return cached.layer;
  }

  const traced = await traceLayer({ resolveFrom, specifiers, platform });
  const total = traced.files.reduce((sum, f) => sum + f.size, 0);
  const packageBytes = [...traced.packages]
    .sort((a, b) => b.bytes - a.bytes)
    .map((p) => ({ name: `${p.name}@${p.version}`, bytes: p.bytes }));
  checkSize(total, packageBytes);
  await mkdir(path.join(layersDir, 'index'), { recursive: true, mode: 0o700 });
  const { sha256: sha, size, archivePath } = await packLayer(traced.files, layersDir);
  const layer: DependencyLayer = {
    sha256: sha,
    size,
    archivePath,
    platform,
    packages: traced.packages.map((p) => ({ name: p.name, version: p.version })),
    files: traced.files.length,
  };
  const entry: IndexEntry = { layer, bytes: total, packageBytes };
  await writeAtomic(indexFile, `${JSON.stringify(entry, null, 2)}\n`);
  return layer;
}
