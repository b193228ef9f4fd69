/**
 * A minimal, deterministic ustar writer and reader (regular files only, no dependency).
 *
 * Every header has a fixed mtime, mode 0644, uid/gid 0 and empty owner names, and files are written
 * sorted by name, so the same files always give the same bytes.
 *
 * @module
 */

import { PackageFormatError } from './errors.js';

const BLOCK = 512;
/**
 * The mtime written in every header (2019-12-03, as Metaflow's code packages use).
 *
 * @example
 * ```ts
 * new Date(TAR_MTIME * 1000).toISOString(); // '2019-12-03T08:00:00.000Z'
 * ```
 */
export const TAR_MTIME = 1575360000;

/**
 * One regular file of a tar archive.
 *
 * @example
 * ```ts
 * const entry: TarEntry = { name: 'manifest.json', data: Buffer.from('{}') };
 * ```
 */
export interface TarEntry {
  /** A relative path: at most 100 bytes, or up to 256 split at a `/` into ustar's prefix and name. */
  readonly name: string;
  readonly data: Uint8Array;
  /** `true` for an executable file (mode 0755 instead of 0644). */
  readonly executable?: boolean;
}

/**
 * Splits a path into ustar's `prefix` (≤ 155 bytes) and `name` (≤ 100 bytes) at a `/`.
 * Throws a RangeError when no split fits.
 */
function splitName(path: string): { prefix: string; name: string } {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path };
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name.length > 0) {
      return { prefix, name };
    }
  }
  throw new RangeError(`tar entry name must be 1 to 100 bytes (or split at a / into 155 + 100): ${path}`);
}

function writeString(header: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new RangeError(`tar field too long: ${value}`);
  bytes.copy(header, offset);
}

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  // length - 1 octal digits, zero-padded, then a NUL.
  writeString(header, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

function checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum;
}

function makeHeader(path: string, size: number, executable: boolean): Buffer {
  const header = Buffer.alloc(BLOCK);
  const { prefix, name } = splitName(path);
  writeString(header, 0, 100, name);
  writeString(header, 345, 155, prefix);
  writeOctal(header, 100, 8, executable ? 0o755 : 0o644);
  writeOctal(header, 108, 8, 0);
  writeOctal(header, 116, 8, 0);
  writeOctal(header, 124, 12, size);
  writeOctal(header, 136, 12, TAR_MTIME);
  header[156] = 0x30; // '0': regular file
  writeString(header, 257, 6, 'ustar\0');
  writeString(header, 263, 2, '00');
  writeOctal(header, 329, 8, 0);
  writeOctal(header, 337, 8, 0);
  writeString(header, 148, 8, `${checksum(header).toString(8).padStart(6, '0')}\0 `);
  return header;
}

/**
 * The 512-byte header of one entry (same metadata as {@link writeTar}), for writers that stream the
 * data themselves: header, data, then {@link tarPadding} of the data's size; {@link TAR_END} closes.
 *
 * @example
 * ```ts
 * out.write(tarHeader('node_modules/x/index.js', data.length)); out.write(data); out.write(tarPadding(data.length));
 * ```
 */
export function tarHeader(name: string, size: number, executable = false): Buffer {
  if (name.length === 0) throw new RangeError('tar entry name must not be empty');
  return makeHeader(name, size, executable);
}

/**
 * The zero bytes that pad an entry of `size` bytes to a whole block.
 *
 * @example
 * ```ts
 * tarPadding(1).length; // 511
 * ```
 */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/**
 * The end-of-archive marker: two zero blocks.
 *
 * @example
 * ```ts
 * out.end(TAR_END);
 * ```
 */
export const TAR_END: Buffer = Buffer.alloc(BLOCK * 2);

/**
 * Writes a ustar archive of regular files, sorted by name, with fixed metadata.
 *
 * @example
 * ```ts
 * const tar = writeTar([{ name: 'a.txt', data: Buffer.from('hi') }]);
 * ```
 */
export function writeTar(entries: readonly TarEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const parts: Buffer[] = [];
  for (const entry of sorted) {
    if (entry.name.length === 0) throw new RangeError('tar entry name must not be empty');
    parts.push(makeHeader(entry.name, entry.data.length, entry.executable === true), Buffer.from(entry.data));
    const pad = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
    if (pad > 0) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
}

function readOctal(block: Buffer, offset: number, length: number, what: string): number {
  const text = readString(block, offset, length).trim();
  if (!/^[0-7]+$/.test(text)) throw new PackageFormatError(`tar header has a bad ${what} field`);
  return Number.parseInt(text, 8);
}

/**
 * Reads a ustar archive of regular files (as {@link writeTar} writes them). Checks every header's
 * magic, checksum and type, and rejects truncated archives.
 *
 * @example
 * ```ts
 * const files = readTar(writeTar([{ name: 'a.txt', data: Buffer.from('hi') }]));
 * files.get('a.txt')?.toString(); // 'hi'
 * ```
 */
export function readTar(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readTarEntries(tar)) {
    if (files.has(entry.name)) throw new PackageFormatError(`tar entry ${entry.name} appears twice`);
    files.set(entry.name, Buffer.from(entry.data));
  }
  return files;
}

/**
 * Reads a ustar archive into its entries, in archive order, with the executable bit (names joined
 * with ustar's prefix). Same checks as {@link readTar}; entries' data are views into `tar`.
 *
 * @example
 * ```ts
 * for (const e of readTarEntries(tar)) await writeFile(e.name, e.data, { mode: e.executable ? 0o755 : 0o644 });
 * ```
 */
export function readTarEntries(tar: Buffer): TarEntry[] {
  const files: TarEntry[] = [];
  let offset = 0;
  for (;;) {
    if (offset + BLOCK > tar.length) throw new PackageFormatError('tar archive is truncated (no end marker)');
    const header = parseTarHeader(tar.subarray(offset, offset + BLOCK), offset);
    if (header === null) return files;
    const start = offset + BLOCK;
    if (start + header.size > tar.length)
      throw new PackageFormatError(`tar entry ${header.name} is truncated`);
    files.push({
      name: header.name,
      data: tar.subarray(start, start + header.size),
      executable: header.executable,
    });
    offset = start + Math.ceil(header.size / BLOCK) * BLOCK;
  }
}

/**
 * Checks and reads one 512-byte ustar header (`null`: the end marker). Throws a
 * {@link PackageFormatError} for a damaged header or an entry that is not a regular file.
 *
 * @example
 * ```ts
 * const header = parseTarHeader(block, 0); // { name: 'a.txt', size: 2, executable: false }
 * ```
 */
export function parseTarHeader(
  header: Buffer,
  offset: number,
): { name: string; size: number; executable: boolean } | null {
  if (header.every((b) => b === 0)) return null;
  if (readString(header, 257, 6) !== 'ustar') throw new PackageFormatError('not a ustar archive');
  if (readOctal(header, 148, 8, 'checksum') !== checksum(header)) {
    throw new PackageFormatError(`tar header checksum mismatch at byte ${offset}`);
  }
  const prefix = readString(header, 345, 155);
  const name = prefix === '' ? readString(header, 0, 100) : `${prefix}/${readString(header, 0, 100)}`;
  const type = header[156];
  if (type !== 0x30 && type !== 0) throw new PackageFormatError(`tar entry ${name} is not a regular file`);
  const size = readOctal(header, 124, 12, 'size');
  const executable = (readOctal(header, 100, 8, 'mode') & 0o111) !== 0;
  return { name, size, executable };
}

/**
 * Reads a ustar archive from a stream of chunks (a `.tar.gz` piped through gunzip), one entry at a
 * time: memory holds the largest file, not the archive. Same checks as {@link readTarEntries}.
 *
 * @example
 * ```ts
 * for await (const e of streamTarEntries(createReadStream(file).pipe(createGunzip()))) console.log(e.name);
 * ```
 */
export async function* streamTarEntries(chunks: AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  let pending: Buffer[] = [];
  let have = 0;
  let offset = 0;
  const iterator = chunks[Symbol.asyncIterator]();
  const take = async (n: number): Promise<Buffer | null> => {
    while (have < n) {
      const next = await iterator.next();
      if (next.done) return null;
      pending.push(next.value);
      have += next.value.length;
    }
    const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, have);
    const out = all.subarray(0, n);
    pending = have > n ? [all.subarray(n)] : [];
    have -= n;
    offset += n;
    return out;
  };
  for (;;) {
    const block = await take(BLOCK);
    if (block === null) throw new PackageFormatError('tar archive is truncated (no end marker)');
    const header = parseTarHeader(block, offset - BLOCK);
    if (header === null) return;
    const padded = Math.ceil(header.size / BLOCK) * BLOCK;
    const body = padded === 0 ? Buffer.alloc(0) : await take(padded);
    if (body === null) throw new PackageFormatError(`tar entry ${header.name} is truncated`);
    yield { name: header.name, data: body.subarray(0, header.size), executable: header.executable };
  }
}
