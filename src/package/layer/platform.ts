/**
 * Platforms of a dependency layer: the job's (linux, glibc, x64 or arm64) or the launching machine's,
 * and npm's `os`/`cpu`/`libc` rules for which platform packages fit one.
 *
 * @module
 */

import { LayerPlatformError } from './errors.js';

/**
 * The platform an AWS Batch job runs on: linux with glibc, on x64 or arm64 (Graviton).
 *
 * @example
 * ```ts
 * const graviton: JobPlatform = { os: 'linux', cpu: 'arm64', libc: 'glibc' };
 * ```
 */
export interface JobPlatform {
  readonly os: 'linux';
  readonly cpu: 'x64' | 'arm64';
  readonly libc: 'glibc';
}

/**
 * Any platform a layer can be built for: a {@link JobPlatform}, or the launching machine as it is
 * (macOS, musl linux, ...) for local runs.
 *
 * @example
 * ```ts
 * const mac: Platform = { os: 'darwin', cpu: 'arm64' };
 * ```
 */
export interface Platform {
  readonly os: string;
  readonly cpu: string;
  /** linux only. */
  readonly libc?: 'glibc' | 'musl';
}

let host: Platform | undefined;

/**
 * The launching machine's platform (libc read from Node's own report on linux).
 *
 * @example
 * ```ts
 * hostPlatform(); // { os: 'linux', cpu: 'x64', libc: 'glibc' }
 * ```
 */
export function hostPlatform(): Platform {
  if (host === undefined) {
    let libc: 'glibc' | 'musl' | undefined;
    if (process.platform === 'linux') {
      const header = (
        process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined
      )?.header;
      libc = header?.glibcVersionRuntime ? 'glibc' : 'musl';
    }
    host = { os: process.platform, cpu: process.arch, ...(libc ? { libc } : {}) };
  }
  return host;
}

/**
 * Parses a job platform written as `linux-x64` or `linux-arm64` (also `linux/arm64`, `arm64`,
 * `x86_64`, `aarch64`, AWS's `ARM64`/`X86_64`). Throws a {@link LayerPlatformError} otherwise.
 *
 * @example
 * ```ts
 * parsePlatform('linux-arm64'); // { os: 'linux', cpu: 'arm64', libc: 'glibc' }
 * ```
 */
export function parsePlatform(text: string): JobPlatform {
  const t = text
    .trim()
    .toLowerCase()
    .replace(/^linux[-/]/, '');
  if (t === 'x64' || t === 'amd64' || t === 'x86_64') return { os: 'linux', cpu: 'x64', libc: 'glibc' };
  if (t === 'arm64' || t === 'aarch64') return { os: 'linux', cpu: 'arm64', libc: 'glibc' };
  throw new LayerPlatformError(
    `"${text}" is not a job platform: use linux-x64 or linux-arm64 (jobs run on linux with glibc)`,
    { platform: text },
  );
}

/**
 * A platform as npm and package names spell it: `linux-arm64`, `darwin-arm64`, `linux-x64-musl`.
 *
 * @example
 * ```ts
 * platformLabel({ os: 'linux', cpu: 'arm64', libc: 'glibc' }); // 'linux-arm64'
 * ```
 */
export function platformLabel(p: Platform): string {
  return `${p.os}-${p.cpu}${p.libc === 'musl' ? '-musl' : ''}`;
}

/**
 * Whether two platforms are the same.
 *
 * @example
 * ```ts
 * samePlatform(hostPlatform(), parsePlatform('linux-x64')); // true on a linux x64 glibc machine
 * ```
 */
export function samePlatform(a: Platform, b: Platform): boolean {
  return a.os === b.os && a.cpu === b.cpu && (a.libc ?? '') === (b.libc ?? '');
}

/** npm's rule for one of `os`/`cpu`/`libc`: a list of allowed values, or of `!excluded` ones. */
function allows(list: unknown, value: string | undefined): boolean {
  if (!Array.isArray(list) || list.length === 0) return true;
  if (value === undefined) return true;
  const values = list.filter((v): v is string => typeof v === 'string');
  const excluded = values.filter((v) => v.startsWith('!')).map((v) => v.slice(1));
  const allowed = values.filter((v) => !v.startsWith('!'));
  if (excluded.includes(value)) return false;
  return allowed.length === 0 || allowed.includes(value);
}

/**
 * Whether a package (its parsed `package.json`) declares `os`, `cpu` or `libc`: a platform build.
 *
 * @example
 * ```ts
 * isPlatformPackage({ name: '@img/sharp-linux-x64', os: ['linux'], cpu: ['x64'] }); // true
 * ```
 */
export function isPlatformPackage(pkg: Record<string, unknown>): boolean {
  return ['os', 'cpu', 'libc'].some((k) => Array.isArray(pkg[k]) && (pkg[k] as unknown[]).length > 0);
}

/**
 * Whether a package's `os`/`cpu`/`libc` fields allow a platform, as npm decides it.
 *
 * @example
 * ```ts
 * fitsPlatform({ os: ['linux'], cpu: ['arm64'], libc: ['musl'] }, parsePlatform('linux-arm64')); // false
 * ```
 */
export function fitsPlatform(pkg: Record<string, unknown>, p: Platform): boolean {
  return (
    allows(pkg.os, p.os) && allows(pkg.cpu, p.cpu) && allows(pkg.libc, p.os === 'linux' ? p.libc : undefined)
  );
}

/** Names that look like a platform build (`-linux-x64`, `-darwin-arm64`, `-win32-`, `-wasm32`). */
const PLATFORM_NAME = /[-_](linux|darwin|win32|freebsd|android|openbsd|sunos|aix)[-_]|[-_]wasm32\b/;

/**
 * Whether a package name looks like a per-platform build (used for optional dependencies that are
 * not installed, so their `package.json` cannot be read).
 *
 * @example
 * ```ts
 * looksLikePlatformName('@duckdb/node-bindings-darwin-arm64'); // true
 * ```
 */
export function looksLikePlatformName(name: string): boolean {
  return PLATFORM_NAME.test(`${name}-`);
}

/** ELF `e_machine` of each cpu. */
const ELF_MACHINE: Record<string, number> = { x64: 62, arm64: 183, ia32: 3, arm: 40 };

/**
 * What a native binary's first bytes say it is built for: `linux-x64` (ELF), `darwin` (Mach-O),
 * `win32` (PE), or `undefined` when it is not a binary.
 *
 * @example
 * ```ts
 * binaryPlatform(readFileSync('duckdb.node').subarray(0, 64)); // { os: 'linux', cpu: 'x64' }
 * ```
 */
export function binaryPlatform(head: Uint8Array): { os: string; cpu?: string } | undefined {
  const b = Buffer.from(head);
  if (b.length >= 20 && b.readUInt32BE(0) === 0x7f454c46) {
    const machine = b[5] === 2 ? b.readUInt16BE(18) : b.readUInt16LE(18);
    const cpu = Object.keys(ELF_MACHINE).find((k) => ELF_MACHINE[k] === machine);
    return { os: 'linux', cpu: cpu ?? `elf-machine-${machine}` };
  }
  if (b.length >= 4) {
    const magic = b.readUInt32BE(0);
    if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(magic)) return { os: 'darwin' };
    if (b[0] === 0x4d && b[1] === 0x5a) return { os: 'win32' };
  }
  return undefined;
}

/**
 * Whether a binary (as {@link binaryPlatform} reads it) runs on a platform.
 *
 * @example
 * ```ts
 * binaryFits({ os: 'linux', cpu: 'x64' }, parsePlatform('linux-arm64')); // false
 * ```
 */
export function binaryFits(binary: { os: string; cpu?: string }, p: Platform): boolean {
  if (binary.os !== p.os) return false;
  return binary.cpu === undefined || binary.cpu === p.cpu;
}
