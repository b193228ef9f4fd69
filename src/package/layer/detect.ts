/**
 * Deciding which packages cannot be bundled and go into the dependency layer instead: native add-ons,
 * packages that pick a platform build at run time, WASM, and files read relative to the module.
 *
 * @module
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isPlatformPackage, looksLikePlatformName } from './platform.js';

/** Dependencies that mean "this package loads a compiled add-on". */
const NATIVE_LOADERS = [
  'node-gyp-build',
  'node-gyp-build-optional-packages',
  'bindings',
  'prebuild-install',
  '@mapbox/node-pre-gyp',
];

/**
 * Files that cannot be bundled: compiled add-ons, shared libraries and WASM modules.
 *
 * @example
 * ```ts
 * BINARY_FILE_PATTERN.test("duckdb.node"); // true
 * ```
 */
export const BINARY_FILE_PATTERN = /\.(node|wasm)$|\.so(\.\d+)*$|\.dylib$|\.dll$/;

/** Most files looked at per package when searching for binaries (big packages rarely hide them deep). */
const MAX_SCANNED = 20_000;

/**
 * Reads a package's `package.json`, or `undefined` when it is missing or not JSON.
 *
 * @example
 * ```ts
 * readPackageJson('node_modules/sharp')?.version; // '0.35.5'
 * ```
 */
export function readPackageJson(dir: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The folder of package `name` as Node finds it from `fromDir` (walking up `node_modules` folders),
 * or `null`.
 *
 * @example
 * ```ts
 * findPackageDir('/p/flows', 'sharp'); // '/p/node_modules/sharp'
 * ```
 */
export function findPackageDir(fromDir: string, name: string): string | null {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) return null;
  }
}

/**
 * The root folder of the package a file belongs to (`…/node_modules/<name>` or
 * `…/node_modules/@scope/<name>`), or `null` outside `node_modules`.
 *
 * @example
 * ```ts
 * packageRootOf('/p/node_modules/@img/colour/index.cjs'); // '/p/node_modules/@img/colour'
 * ```
 */
export function packageRootOf(file: string): string | null {
  const parts = file.split(path.sep);
  const i = parts.lastIndexOf('node_modules');
  if (i === -1 || i + 1 >= parts.length - 1) return null;
  const width = parts[i + 1]!.startsWith('@') ? 2 : 1;
  if (i + width >= parts.length) return null;
  return parts.slice(0, i + 1 + width).join(path.sep);
}

function depNames(pkg: Record<string, unknown>, field: string): string[] {
  const deps = pkg[field];
  return deps !== null && typeof deps === 'object' ? Object.keys(deps as object) : [];
}

function hasBinaryFile(dir: string): string | undefined {
  const stack = [dir];
  let seen = 0;
  while (stack.length > 0 && seen < MAX_SCANNED) {
    const current = stack.pop()!;
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      seen++;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.'))
          stack.push(path.join(current, entry.name));
      } else if (BINARY_FILE_PATTERN.test(entry.name)) {
        return path.relative(dir, path.join(current, entry.name));
      }
    }
  }
  return undefined;
}

/**
 * Why a package goes into the layer (`undefined`: it can be bundled). Answers are cached per folder.
 *
 * @example
 * ```ts
 * const inspector = new PackageInspector();
 * inspector.layerReason('/p/node_modules/sharp'); // 'picks a platform build at run time (@img/sharp-linux-x64, …)'
 * ```
 */
export class PackageInspector {
  readonly #reasons = new Map<string, string | undefined>();

  /**
   * The reason package folder `dir` cannot be bundled, or `undefined`:
   * - it is a platform build itself (`os`/`cpu`/`libc` in its `package.json`);
   * - it is a native add-on (`gypfile`, `binding.gyp`, a native loader such as `node-gyp-build`);
   * - it has optional dependencies that are platform builds (sharp's `@img/sharp-*`);
   * - it holds `.node`, `.so`, `.dylib`, `.dll` or `.wasm` files.
   */
  layerReason(dir: string): string | undefined {
    if (this.#reasons.has(dir)) return this.#reasons.get(dir);
    const reason = this.#inspect(dir);
    this.#reasons.set(dir, reason);
    return reason;
  }

  /** Records a reason found elsewhere (e.g. files read relative to the module). */
  setReason(dir: string, reason: string): void {
    this.#reasons.set(dir, reason);
  }

  #inspect(dir: string): string | undefined {
    const pkg = readPackageJson(dir);
    if (pkg === undefined) return undefined;
    if (isPlatformPackage(pkg)) return 'is a platform build (os/cpu/libc in its package.json)';
    if (pkg.gypfile === true || existsSync(path.join(dir, 'binding.gyp')))
      return 'is a native add-on (node-gyp)';
    const deps = [...depNames(pkg, 'dependencies'), ...depNames(pkg, 'optionalDependencies')];
    const loader = NATIVE_LOADERS.find((n) => deps.includes(n));
    if (loader !== undefined) return `loads a native add-on (through ${loader})`;
    const platformDeps = depNames(pkg, 'optionalDependencies').filter((name) => {
      const installed = findPackageDir(dir, name);
      const dep = installed === null ? undefined : readPackageJson(installed);
      return dep === undefined ? looksLikePlatformName(name) : isPlatformPackage(dep);
    });
    if (platformDeps.length > 0) {
      const shown = platformDeps.slice(0, 2).join(', ');
      return `picks a platform build at run time (${shown}${platformDeps.length > 2 ? ', …' : ''})`;
    }
    const binary = hasBinaryFile(dir);
    if (binary !== undefined) return `holds ${binary}`;
    return undefined;
  }
}

/** Code that locates files relative to the module itself. */
const SELF_RELATIVE = /\b__dirname\b|\b__filename\b|import\.meta\.url|import\.meta\.dirname/;

/**
 * Whether module source mentions its own location (`__dirname`, `__filename`, `import.meta.url`):
 * such a package may read files next to it, which a bundle would not carry.
 *
 * @example
 * ```ts
 * mentionsOwnLocation("fs.readFileSync(__dirname + '/data/Courier.afm')"); // true
 * ```
 */
export function mentionsOwnLocation(source: string): boolean {
  return SELF_RELATIVE.test(source);
}
