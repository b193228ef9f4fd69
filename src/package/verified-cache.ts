/**
 * A cache folder whose entries (files, or folders of files) are checked before use: each entry is
 * written atomically (temp name in the same folder, then rename) after its sha256 record
 * (`<entry>.sha256`, in `sha256sum` format), and reading re-hashes it. An entry whose bytes do not
 * match its record, or that has no record, is treated as absent: it is rebuilt and the caller is told.
 *
 * @module
 */

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PackageError } from './errors.js';

/**
 * Receives one line saying a cache entry was rebuilt (and why).
 *
 * @example
 * ```ts
 * const notice: CacheNotice = (line) => process.stderr.write(`${line}\n`);
 * ```
 */
export type CacheNotice = (line: string) => void;

/**
 * What a verified read found: the entry (`ok`), nothing (`absent`), or an entry that cannot be trusted
 * (`mismatch`, with the reason as a phrase: "did not match its recorded sha256").
 *
 * @example
 * ```ts
 * const found = await cache.read('sdk/a.cjs');
 * if (found.status === 'ok') use(found.value);
 * ```
 */
export type VerifiedRead<T> =
  | { readonly status: 'ok'; readonly value: T }
  | { readonly status: 'absent' }
  | { readonly status: 'mismatch'; readonly reason: string };

const NAME_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const RECORD_SUFFIX = '.sha256';
const MISMATCH = 'did not match its recorded sha256';
const NO_RECORD = 'had no recorded sha256';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const errno = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

function checkName(name: string, what: string): void {
  const segments = name.split('/');
  if (segments.every((s) => NAME_SEGMENT.test(s)) && !name.endsWith(RECORD_SUFFIX)) return;
  throw new PackageError(
    `Invalid cache ${what} "${name}": use letters, digits, '.', '_' and '-' in '/'-separated parts ` +
      `(not starting with '.', not ending in ${RECORD_SUFFIX}).`,
  );
}

/** Parses `sha256sum` lines (`<hex>  <path>`) into path → hex; undefined when malformed. */
function parseRecord(text: string): Map<string, string> | undefined {
  const record = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!m?.[1] || !m[2]) return undefined;
    record.set(m[2], m[1]);
  }
  return record;
}

async function readRecord(file: string): Promise<Map<string, string> | undefined> {
  try {
    return parseRecord(await readFile(`${file}${RECORD_SUFFIX}`, 'utf8'));
  } catch (error) {
    if (errno(error) === 'ENOENT') return undefined;
    throw error;
  }
}

const tempName = (file: string, kind: string): string =>
  path.join(
    path.dirname(file),
    `.${path.basename(file)}.${kind}-${process.pid}-${randomBytes(4).toString('hex')}`,
  );

/** Writes a file atomically: a private temp file in the same folder, then rename. */
async function writeAtomically(file: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = tempName(file, 'tmp');
  try {
    await writeFile(tmp, bytes, { mode: 0o600, flag: 'wx' });
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

async function sameFiles(dir: string, files: ReadonlyMap<string, Buffer>): Promise<boolean> {
  try {
    const names = (await readdir(dir)).sort();
    if (names.join('/') !== [...files.keys()].sort().join('/')) return false;
    for (const [name, bytes] of files) if (!bytes.equals(await readFile(path.join(dir, name)))) return false;
    return true;
  } catch {
    return false;
  }
}

/**
 * A folder of verified cache entries. Entry names are relative paths (`sdk/aws-sdk-s3-3.1.cjs`,
 * `code/<sha>`); an entry is a file ({@link VerifiedCache.file}) or a folder of files
 * ({@link VerifiedCache.dir}), each with its record beside it.
 *
 * @example
 * ```ts
 * const cache = new VerifiedCache('/home/ada/.cache/stepflow');
 * const bytes = await cache.file('sdk/a.cjs', async () => build());
 * ```
 */
export class VerifiedCache {
  /** The cache folder. */
  readonly root: string;
  private readonly notice: CacheNotice;

  constructor(root: string, options: { notice?: CacheNotice } = {}) {
    this.root = root;
    this.notice = options.notice ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /**
   * The absolute path of an entry (whether or not it exists).
   *
   * @example
   * ```ts
   * cache.path('code/abc'); // '/home/ada/.cache/stepflow/code/abc'
   * ```
   */
  path(name: string): string {
    checkName(name, 'entry name');
    return path.join(this.root, ...name.split('/'));
  }

  /**
   * Reads a file entry and checks it against its record.
   *
   * @example
   * ```ts
   * const found = await cache.read('sdk/a.cjs'); // { status: 'ok', value: <Buffer> } | ...
   * ```
   */
  async read(name: string): Promise<VerifiedRead<Buffer>> {
    const file = this.path(name);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      if (errno(error) === 'ENOENT' || errno(error) === 'ENOTDIR') return { status: 'absent' };
      if (errno(error) === 'EISDIR') return { status: 'mismatch', reason: 'is a folder, not a file' };
      throw error;
    }
    const want = (await readRecord(file))?.get(path.basename(file));
    if (want === undefined) return { status: 'mismatch', reason: NO_RECORD };
    if (sha256(bytes) !== want) return { status: 'mismatch', reason: MISMATCH };
    return { status: 'ok', value: bytes };
  }

  /**
   * Writes a file entry: its record first, then the bytes (atomically), so a reader never sees
   * bytes without their record. Returns the entry's path.
   *
   * @example
   * ```ts
   * await cache.write('sdk/a.cjs', bytes);
   * ```
   */
  async write(name: string, bytes: Uint8Array): Promise<string> {
    const file = this.path(name);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeAtomically(`${file}${RECORD_SUFFIX}`, `${sha256(bytes)}  ${path.basename(file)}\n`);
    await writeAtomically(file, bytes);
    return file;
  }

  /**
   * Checks a folder entry: exactly the files its record lists, each with its recorded sha256.
   * The value is the folder's path.
   *
   * @example
   * ```ts
   * const found = await cache.readDir(`code/${sha}`);
   * ```
   */
  async readDir(name: string): Promise<VerifiedRead<string>> {
    const dir = this.path(name);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if (errno(error) === 'ENOENT') return { status: 'absent' };
      if (errno(error) === 'ENOTDIR') return { status: 'mismatch', reason: 'is a file, not a folder' };
      throw error;
    }
    const record = await readRecord(dir);
    if (record === undefined) return { status: 'mismatch', reason: NO_RECORD };
    const base = path.basename(dir);
    const listed = [...record.keys()].sort();
    if (
      listed.join('\n') !==
      names
        .map((n) => `${base}/${n}`)
        .sort()
        .join('\n')
    ) {
      return { status: 'mismatch', reason: MISMATCH };
    }
    for (const [rel, want] of record) {
      const bytes = await readFile(path.join(dir, rel.slice(base.length + 1))).catch(() => undefined);
      if (bytes === undefined || sha256(bytes) !== want) return { status: 'mismatch', reason: MISMATCH };
    }
    return { status: 'ok', value: dir };
  }

  /**
   * Writes a folder entry: the record first, then the files in a temp folder renamed into place. A
   * concurrent writer that already put the same files there is fine; different files are replaced.
   *
   * @example
   * ```ts
   * const dir = await cache.writeDir(`code/${sha}`, { 'bundle.mjs': bundle, 'bundle.mjs.map': map });
   * ```
   */
  async writeDir(name: string, files: Readonly<Record<string, Uint8Array>>): Promise<string> {
    const dir = this.path(name);
    const entries = new Map(Object.entries(files).map(([n, b]) => [n, Buffer.from(b)] as const));
    for (const file of entries.keys()) checkName(file, 'file name');
    if ([...entries.keys()].some((n) => n.includes('/'))) {
      throw new PackageError(`Invalid cache folder entry ${name}: file names must not contain '/'.`);
    }
    await mkdir(path.dirname(dir), { recursive: true, mode: 0o700 });
    const base = path.basename(dir);
    const lines = [...entries].map(([n, b]) => `${sha256(b)}  ${base}/${n}\n`).sort();
    await writeAtomically(`${dir}${RECORD_SUFFIX}`, lines.join(''));
    const tmp = await mkdtemp(`${tempName(dir, 'tmp')}-`);
    try {
      for (const [n, bytes] of entries) await writeFile(path.join(tmp, n), bytes, { mode: 0o600 });
      await this.replaceDir(tmp, dir, entries);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return dir;
  }

  /** Renames `tmp` to `dir`; when `dir` exists with other files, moves it aside first. */
  private async replaceDir(tmp: string, dir: string, entries: ReadonlyMap<string, Buffer>): Promise<void> {
    try {
      await rename(tmp, dir);
      return;
    } catch (error) {
      if (!['ENOTEMPTY', 'EEXIST', 'ENOTDIR', 'EISDIR'].includes(errno(error) ?? '')) throw error;
    }
    if (await sameFiles(dir, entries)) return; // a concurrent writer got there first
    const old = tempName(dir, 'old');
    await rename(dir, old).catch((error: unknown) => {
      if (errno(error) !== 'ENOENT') throw error;
    });
    try {
      await rename(tmp, dir);
    } catch (error) {
      if (!(await sameFiles(dir, entries))) throw error;
    } finally {
      await rm(old, { recursive: true, force: true });
    }
  }

  /**
   * A file entry, verified, or built now (and written) when absent or untrusted. A rebuilt untrusted
   * entry is said: `stepflow: cache entry <path> did not match its recorded sha256; rebuilt`.
   *
   * @example
   * ```ts
   * const sdk = await cache.file('sdk/aws-sdk-s3-3.1.cjs', () => bundleSdk());
   * ```
   */
  async file(name: string, build: () => Promise<Uint8Array>): Promise<Buffer> {
    const found = await this.read(name);
    if (found.status === 'ok') return found.value;
    const bytes = Buffer.from(await build());
    await this.write(name, bytes);
    if (found.status === 'mismatch') this.rebuilt(name, found.reason);
    return bytes;
  }

  /**
   * A folder entry's path, verified, or written now from `build()` when absent or untrusted (said as
   * for {@link VerifiedCache.file}).
   *
   * @example
   * ```ts
   * const dir = await cache.dir(`code/${sha}`, async () => ({ 'bundle.mjs': bundle }));
   * ```
   */
  async dir(name: string, build: () => Promise<Readonly<Record<string, Uint8Array>>>): Promise<string> {
    const found = await this.readDir(name);
    if (found.status === 'ok') return found.value;
    const dir = await this.writeDir(name, await build());
    if (found.status === 'mismatch') this.rebuilt(name, found.reason);
    return dir;
  }

  private rebuilt(name: string, reason: string): void {
    this.notice(`stepflow: cache entry ${this.path(name)} ${reason}; rebuilt`);
  }
}
