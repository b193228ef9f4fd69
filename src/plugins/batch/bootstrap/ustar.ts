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
 * Every file, folder and symlink of a tar archive with its mode: ustar (`prefix` honoured), pax extended
 * headers (`path`, `linkpath`) and GNU long names (`L`, `K`); hard links and devices are skipped.
 *
 * @example
 * ```ts
 * for (const e of readUstarEntries(gunzipSync(layer))) console.log(e.type, e.path, e.mode.toString(8));
 * ```
 */
export function readUstarEntries(tar: Buffer): UstarEntry[] {
  const entries: UstarEntry[] = [];
  let offset = 0;
  let longPath: string | undefined;
  let longLink: string | undefined;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = Number.parseInt(field(header, 124, 12).trim() || '0', 8);
    if (!Number.isFinite(size) || size < 0) throw new Error(`damaged tar header at byte ${offset}`);
    const start = offset + BLOCK;
    if (start + size > tar.length) throw new Error(`tar entry at byte ${offset} is cut short`);
    const data = tar.subarray(start, start + size);
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
    const type = String.fromCharCode(header[156] ?? 0);
    if (type === 'x') {
      const pax = paxRecords(data);
      longPath = pax.get('path') ?? longPath;
      longLink = pax.get('linkpath') ?? longLink;
      continue;
    }
    if (type === 'L' || type === 'K') {
      const text = data.toString('utf8').replace(/\0+$/, '');
      if (type === 'L') longPath = text;
      else longLink = text;
      continue;
    }
    if (type === 'g') continue;
    const name = field(header, 0, 100);
    const prefix = field(header, 345, 155);
    const path = (longPath ?? (prefix ? `${prefix}/${name}` : name)).replace(/\/+$/, '');
    const linkname = longLink ?? field(header, 157, 100);
    const mode = Number.parseInt(field(header, 100, 8).trim() || '644', 8);
    longPath = undefined;
    longLink = undefined;
    if (type === '0' || type === '\0' || type === '7') {
      entries.push({ path, type: 'file', mode, data, linkname: '' });
    } else if (type === '5') {
      entries.push({ path, type: 'dir', mode, data: Buffer.alloc(0), linkname: '' });
    } else if (type === '2') {
      entries.push({ path, type: 'symlink', mode, data: Buffer.alloc(0), linkname });
    }
  }
  return entries;
}
