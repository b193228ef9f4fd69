/**
 * Packing a layer's files into a deterministic `tar.gz`, streamed one file at a time (a layer can be
 * hundreds of MB) and hashed on the way.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { TAR_END, tarHeader, tarPadding } from '../tar.js';
import type { LayerFile } from './trace.js';

/** gzip's OS byte for Unix, written whatever the host so archives match across machines. */
const GZIP_OS_UNIX = 3;

async function* tarStream(files: readonly LayerFile[]): AsyncGenerator<Buffer> {
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const file of sorted) {
    const data = await readFile(file.source);
    yield tarHeader(file.name, data.length, file.executable);
    yield data;
    const pad = tarPadding(data.length);
    if (pad.length > 0) yield pad;
  }
  yield TAR_END;
}

/**
 * Writes the files as a gzip'd ustar archive (level 3, fixed metadata, sorted names: the same files
 * give the same bytes) to `<dir>/<sha256>.tar.gz`, and returns its sha256, size and path. A file
 * already there under that name is kept (same sha, same bytes).
 *
 * @example
 * ```ts
 * const { sha256, size, archivePath } = await packLayer(traced.files, path.join(cacheDir, 'layers'));
 * ```
 */
export async function packLayer(
  files: readonly LayerFile[],
  dir: string,
): Promise<{ sha256: string; size: number; archivePath: string }> {
  const hash = createHash('sha256');
  let size = 0;
  const fixHeader = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      // Byte 9 of the gzip header is the OS; bytes 4-7 (mtime) are already 0.
      if (size <= 9 && size + chunk.length > 9) chunk[9 - size] = GZIP_OS_UNIX;
      size += chunk.length;
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const tmp = path.join(dir, `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}.tar.gz`);
  try {
    await pipeline(
      tarStream(files),
      createGzip({ level: 3 }),
      fixHeader,
      createWriteStream(tmp, { mode: 0o600 }),
    );
    const sha256 = hash.digest('hex');
    const archivePath = path.join(dir, `${sha256}.tar.gz`);
    await rename(tmp, archivePath);
    return { sha256, size, archivePath };
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
