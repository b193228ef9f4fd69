/**
 * Tracing the files a layer needs with `@vercel/nft`, laid out as `node_modules/...`, for one
 * platform: other platforms' builds dropped, the platform's own builds added, binaries checked.
 *
 * @module
 */

import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { BINARY_FILE_PATTERN, findPackageDir, packageRootOf, readPackageJson } from './detect.js';
import { LayerPlatformError } from './errors.js';
import {
  binaryFits,
  binaryPlatform,
  fitsPlatform,
  isPlatformPackage,
  looksLikePlatformName,
  type Platform,
  platformLabel,
} from './platform.js';

/**
 * One file of a layer: where it is on disk and where it goes in the archive.
 *
 * @example
 * ```ts
 * const f: LayerFile = { source: '/p/node_modules/sharp/package.json', name: 'node_modules/sharp/package.json', size: 4096, executable: false };
 * ```
 */
export interface LayerFile {
  readonly source: string;
  /** `node_modules/<pkg>/...`, with `/` separators. */
  readonly name: string;
  readonly size: number;
  readonly executable: boolean;
}

/**
 * The traced content of a layer.
 *
 * @example
 * ```ts
 * const { files, packages } = await traceLayer({ resolveFrom: flowDir, specifiers: ['sharp'], platform: hostPlatform() });
 * ```
 */
export interface TracedLayer {
  /** Sorted by `name`. */
  readonly files: readonly LayerFile[];
  /** Every package with files in the layer, sorted by name. */
  readonly packages: readonly { name: string; version: string; bytes: number }[];
}

/**
 * What to trace.
 *
 * @example
 * ```ts
 * const input: TraceInput = { resolveFrom: '/p/flows', specifiers: ['sharp', '@duckdb/node-bindings'], platform };
 * ```
 */
export interface TraceInput {
  /** The folder the packages are resolved from, as Node would from a module there. */
  readonly resolveFrom: string;
  /** The bare specifiers the bundle leaves external (package names). */
  readonly specifiers: readonly string[];
  readonly platform: Platform;
}

/** The files a package's `exports["."]`/`main` point at (every condition's target). */
function entryFiles(dir: string, pkg: Record<string, unknown>): string[] {
  const out: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      if (value.startsWith('./') && !value.includes('*')) out.push(path.join(dir, value));
    } else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) if (key !== 'types' && key !== 'browser') walk(v);
    }
  };
  const exportsField = pkg.exports;
  if (exportsField !== null && typeof exportsField === 'object' && !Array.isArray(exportsField)) {
    const keys = Object.keys(exportsField);
    walk(keys.some((k) => k.startsWith('.')) ? (exportsField as Record<string, unknown>)['.'] : exportsField);
  } else walk(exportsField);
  if (typeof pkg.main === 'string') out.push(path.join(dir, pkg.main));
  return out;
}

/** The layer path of a file: from the `node_modules` segment that Node reaches from `resolveFrom`. */
function layerName(file: string, ancestors: ReadonlySet<string>): string | undefined {
  const parts = file.split(path.sep);
  let first: number | undefined;
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] !== 'node_modules') continue;
    first ??= i;
    if (ancestors.has(parts.slice(0, i).join(path.sep) || path.sep)) return parts.slice(i).join('/');
  }
  return first === undefined ? undefined : parts.slice(first).join('/');
}

function readHead(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(64);
    const n = readSync(fd, head, 0, 64, 0);
    return head.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function walkFiles(dir: string): string[] {
  const out: string[] = [];
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop()!;
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') stack.push(full);
      } else out.push(full);
    }
  }
  return out;
}

function depNames(pkg: Record<string, unknown>, field: string): string[] {
  const deps = pkg[field];
  return deps !== null && typeof deps === 'object' ? Object.keys(deps as object) : [];
}

const NATIVE_MARKERS = [
  'node-gyp-build',
  'node-gyp-build-optional-packages',
  'bindings',
  'prebuild-install',
  '@mapbox/node-pre-gyp',
];

/**
 * Traces the files the given packages need (code, `.node`, `.so`, `.wasm`, data files read relative
 * to the module) with `@vercel/nft`, and fits them to `platform`:
 * - files of platform builds that do not fit the platform (npm's `os`/`cpu`/`libc`) are dropped;
 * - a package's installed optional platform builds that fit are added whole;
 * - binaries built for another platform are dropped, and a package left with no fitting build is
 *   refused with a {@link LayerPlatformError} naming it and the platform.
 *
 * @example
 * ```ts
 * const traced = await traceLayer({ resolveFrom: '/p', specifiers: ['sharp'], platform: parsePlatform('linux-x64') });
 * traced.files.map((f) => f.name); // ['node_modules/@img/sharp-linux-x64/...', 'node_modules/sharp/...', ...]
 * ```
 */
export async function traceLayer(input: TraceInput): Promise<TracedLayer> {
  const label = platformLabel(input.platform);
  const require = createRequire(path.join(input.resolveFrom, 'noop.js'));
  const entries = new Set<string>();
  for (const specifier of input.specifiers) {
    try {
      entries.add(require.resolve(specifier));
    } catch {
      // ESM-only packages: their `exports` targets below.
    }
    const name = specifier.startsWith('@')
      ? specifier.split('/').slice(0, 2).join('/')
      : specifier.split('/')[0]!;
    const dir = findPackageDir(input.resolveFrom, name);
    const pkg = dir === null ? undefined : readPackageJson(dir);
    if (dir === null || pkg === undefined) {
      throw new LayerPlatformError(
        `Package ${name} is imported but not installed for ${label} (looked from ${input.resolveFrom}). ` +
          `Install it with \`npm install ${name}\` (as a dependency, not a devDependency) and run again.`,
        { platform: label, packageName: name },
      );
    }
    entries.add(path.join(dir, 'package.json'));
    for (const file of entryFiles(dir, pkg))
      if (statSync(file, { throwIfNoEntry: false })?.isFile()) entries.add(file);
  }

  const { nodeFileTrace } = await import('@vercel/nft');
  const trace = await nodeFileTrace([...entries], {
    base: path.parse(input.resolveFrom).root,
    processCwd: input.resolveFrom,
  });
  const root = path.parse(input.resolveFrom).root;
  const candidates = new Set<string>([...trace.fileList].map((f) => path.join(root, f)));
  for (const entry of entries) candidates.add(entry);

  // Package roots and their package.json, read once.
  const pkgCache = new Map<string, Record<string, unknown> | undefined>();
  const pkgOf = (dir: string): Record<string, unknown> | undefined => {
    if (!pkgCache.has(dir)) pkgCache.set(dir, readPackageJson(dir));
    return pkgCache.get(dir);
  };

  const kept = new Set<string>();
  for (const file of candidates) {
    const dir = packageRootOf(file);
    if (dir === null) continue;
    const pkg = pkgOf(dir);
    if (pkg !== undefined && isPlatformPackage(pkg) && !fitsPlatform(pkg, input.platform)) continue;
    kept.add(file);
  }

  // Optional platform builds of the kept packages: the fitting one must be there.
  const roots = new Set([...kept].map((f) => packageRootOf(f)!));
  for (const dir of [...roots]) {
    const pkg = pkgOf(dir);
    if (pkg === undefined) continue;
    const optional = depNames(pkg, 'optionalDependencies');
    const platformDeps = optional.filter((name) => {
      const installed = findPackageDir(dir, name);
      const dep = installed === null ? undefined : pkgOf(installed);
      return dep === undefined ? looksLikePlatformName(name) : isPlatformPackage(dep);
    });
    if (platformDeps.length === 0) continue;
    const fitting = platformDeps
      .map((name) => findPackageDir(dir, name))
      .filter((d): d is string => d !== null && fitsPlatform(pkgOf(d) ?? {}, input.platform));
    if (fitting.length === 0) {
      throw new LayerPlatformError(
        `Package ${String(pkg.name)} has no build for ${label}: none of its platform packages ` +
          `(${platformDeps.join(', ')}) is installed for ${label}. Check that ${String(pkg.name)} supports ` +
          `${label}, or let the job's image provide it.`,
        { platform: label, packageName: String(pkg.name) },
      );
    }
    for (const d of fitting) {
      if (roots.has(d)) continue;
      roots.add(d);
      for (const f of walkFiles(d)) kept.add(f);
    }
  }

  // Binaries for another platform are dropped; a native package must keep one that fits.
  const fittingBinaryIn = new Set<string>();
  for (const file of [...kept]) {
    if (!BINARY_FILE_PATTERN.test(file) || file.endsWith('.wasm')) continue;
    const found = binaryPlatform(readHead(file));
    if (found === undefined) continue;
    if (!binaryFits(found, input.platform)) kept.delete(file);
    else fittingBinaryIn.add(packageRootOf(file)!);
  }
  for (const dir of roots) {
    const pkg = pkgOf(dir);
    if (pkg === undefined) continue;
    const deps = [...depNames(pkg, 'dependencies'), ...depNames(pkg, 'optionalDependencies')];
    const native = pkg.gypfile === true || NATIVE_MARKERS.some((m) => deps.includes(m));
    if (native && !fittingBinaryIn.has(dir)) {
      throw new LayerPlatformError(
        `Package ${String(pkg.name)} is a native add-on with no build for ${label} among its files ` +
          `(it compiles at install time, or ships prebuilds for other platforms only). Let the job's image ` +
          `provide it, or use a package with prebuilt binaries for ${label}.`,
        { platform: label, packageName: String(pkg.name) },
      );
    }
  }

  // Every shipped package keeps its package.json (resolution reads `exports`/`main`; names and versions).
  for (const file of [...kept]) {
    const dir = packageRootOf(file);
    if (dir !== null) kept.add(path.join(dir, 'package.json'));
  }

  const ancestors = new Set<string>();
  for (let d = path.resolve(input.resolveFrom); ; d = path.dirname(d)) {
    ancestors.add(d);
    if (path.dirname(d) === d) break;
  }
  const byName = new Map<string, LayerFile>();
  for (const source of kept) {
    const name = layerName(source, ancestors);
    if (name === undefined || byName.has(name)) continue;
    const st = statSync(source, { throwIfNoEntry: false });
    if (st === undefined || !st.isFile()) continue;
    byName.set(name, { source, name, size: st.size, executable: (st.mode & 0o111) !== 0 });
  }
  const files = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const sizes = new Map<string, { name: string; version: string; bytes: number }>();
  for (const f of files) {
    const dir = packageRootOf(f.source);
    if (dir === null) continue;
    const pkg = pkgOf(dir);
    const name = typeof pkg?.name === 'string' ? pkg.name : path.basename(dir);
    const key = `${name}@${String(pkg?.version ?? '')}`;
    const entry = sizes.get(key) ?? { name, version: String(pkg?.version ?? ''), bytes: 0 };
    entry.bytes += f.size;
    sizes.set(key, entry);
  }
  const packages = [...sizes.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { files, packages };
}
