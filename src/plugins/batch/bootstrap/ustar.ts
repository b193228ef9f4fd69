/**
 * A tiny ustar reader for the container bootstrap: regular files only (what `src/package/tar.ts` writes),
 * the `prefix` field honoured, anything else skipped.
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
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const name = field(header, 0, 100);
    const size = Number.parseInt(field(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const prefix = field(header, 345, 155);
    if (!Number.isFinite(size) || size < 0) throw new Error(`damaged tar header at byte ${offset}`);
    const start = offset + BLOCK;
    if (start + size > tar.length) throw new Error(`tar entry ${name} is cut short`);
    if (type === '0' || type === '\0') {
      files.set(prefix ? `${prefix}/${name}` : name, tar.subarray(start, start + size));
    }
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}
