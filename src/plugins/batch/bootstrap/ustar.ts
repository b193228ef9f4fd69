/**
 * A tiny ustar reader for the container bootstrap: `readUstar` gives the regular files of a code package
 * (what `src/package/tar.ts` writes); `readUstarEntries` also folders, symlinks, modes and long names (pax,
 * GNU), for the dependency layer.
 *
 * @module
 */

const BLOCK = 512;

function field(block: Buffer, offset: number, length: number): string {
  const raw = block.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

/**
 * The regular files of a tar archive, by path.
 *
 * @example
 * ```ts
 * const files = readUstar(gunzipSync(archive));
 * files.get('bundle.mjs');
 * ```
 */
export function readUstar(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const e of readUstarEntries(tar)) if (e.type === 'file') files.set(e.path, e.data);
  return files;
}

/**
 * An entry of a tar archive as {@link readUstarEntries} gives it.
 *
 * @example
 * ```ts
 * const e: UstarEntry = { path: 'node_modules/a/index.js', type: 'file', mode: 0o644, data, linkname: '' };
 * ```
 */
export interface UstarEntry {
  readonly path: string;
  readonly type: 'file' | 'dir' | 'symlink';
  readonly mode: number;
  readonly data: Buffer;
  readonly linkname: string;
}

/** The `key=value` records of a pax extended header. */
function paxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = Number.parseInt(data.subarray(at, space).toString('utf8'), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return out;
}

/**
 * An incremental tar reader: give it the archive in chunks of any size (as a gunzip stream yields them)
 * and it calls `onEntry` for every file, folder and symlink as soon as the entry is complete, with its
 * mode: ustar (`prefix` honoured), pax extended headers (`path`, `linkpath`) and GNU long names (`L`,
 * `K`); hard links and devices are skipped. Chunks are joined only once an entry's bytes are all there.
 *
 * @example
 * ```ts
 * const reader = new UstarReader((e) => console.log(e.type, e.path));
 * gunzip.on('data', (chunk) => reader.push(chunk));
 * ```
 */
export class UstarReader {
  private chunks: Buffer[] = [];
  private have = 0;
  /** The header of the entry whose data is awaited, or undefined while a header is awaited. */
  private header: Buffer | undefined;
  private need = BLOCK;
  private longPath: string | undefined;
  private longLink: string | undefined;
  private ended = false;
  private offset = 0;

  constructor(private readonly onEntry: (entry: UstarEntry) => void) {}

  /** Adds bytes of the archive. */
  push(chunk: Buffer): void {
    if (this.ended || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.have += chunk.length;
    while (!this.ended && this.have >= this.need) {
      const all =
        this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.have);
      const block = all.subarray(0, this.need);
      this.chunks = all.length > this.need ? [all.subarray(this.need)] : [];
      this.have -= this.need;
      this.offset += this.need;
      this.take(block);
    }
  }

  /** Whether the archive's end marker was read. */
  get done(): boolean {
    return this.ended;
  }

  /** Whether an entry was begun and not finished (the archive is cut short if it ends here). */
  get pending(): boolean {
    return !this.ended && (this.header !== undefined || this.have > 0);
  }

  private take(block: Buffer): void {
    const header = this.header;
    if (!header) {
      if (block.every((b) => b === 0)) {
        this.ended = true;
        return;
      }
      const size = Number.parseInt(field(block, 124, 12).trim() || '0', 8);
      if (!Number.isFinite(size) || size < 0)
        throw new Error(`damaged tar header at byte ${this.offset - BLOCK}`);
      this.header = block;
      this.need = Math.ceil(size / BLOCK) * BLOCK;
      if (this.need === 0) this.take(Buffer.alloc(0));
      return;
    }
    this.header = undefined;
    this.need = BLOCK;
    const data = block.subarray(0, Number.parseInt(field(header, 124, 12).trim() || '0', 8));
    const type = String.fromCharCode(header[156] ?? 0);
    if (type === 'x') {
      const pax = paxRecords(data);
      this.longPath = pax.get('path') ?? this.longPath;
      this.longLink = pax.get('linkpath') ?? this.longLink;
      return;
    }
    if (type === 'L' || type === 'K') {
      const text = data.toString('utf8').replace(/\0+$/, '');
      if (type === 'L') this.longPath = text;
      else this.longLink = text;
      return;
    }
    if (type === 'g') return;
    const name = field(header, 0, 100);
    const prefix = field(header, 345, 155);
    const path = (this.longPath ?? (prefix ? `${prefix}/${name}` : name)).replace(/\/+$/, '');
    const linkname = this.longLink ?? field(header, 157, 100);
    const mode = Number.parseInt(field(header, 100, 8).trim() || '644', 8);
    this.longPath = undefined;
    this.longLink = undefined;
    const kind = type === '5' ? 'dir' : type === '2' ? 'symlink' : /^[07\0]$/.test(type) ? 'file' : undefined;
    if (kind) this.onEntry({ path, type: kind, mode, data, linkname: kind === 'symlink' ? linkname : '' });
  }
}

/**
 * Every file, folder and symlink of a whole tar archive (see {@link UstarReader}). Throws when the archive
 * ends inside an entry.
 *
 * @example
 * ```ts
 * for (const e of readUstarEntries(gunzipSync(layer))) console.log(e.type, e.path, e.mode.toString(8));
 * ```
 */
export function readUstarEntries(tar: Buffer): UstarEntry[] {
  const entries: UstarEntry[] = [];
  const reader = new UstarReader((e) => entries.push(e));
  reader.push(tar);
  if (reader.pending) throw new Error('the tar archive is cut short');
  return entries;
}
