/**
 * The local file-system storage backend: keys are files under a root folder.
 *
 * @module
 */

import { randomBytes } from 'node:crypto';
import { closeSync, constants, type Dirent, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { copyFile, type FileHandle, link, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { StorageError } from './errors.js';
import { keyProblem as sharedKeyProblem } from './keys.js';
import type { ListEntry, PutOptions, RangedRead, ReadFromOptions, StorageBackend } from './storage.js';

/** Matches the temporary files {@link LocalStorage.put} writes before renaming them into place. */
const TEMP_SUFFIX = /\.tmp-\d+-[0-9a-f]{12}$/;

/**
 * A {@link StorageBackend} over a local folder (kind `local`).
 *
 * Every put writes `<key>.tmp-<pid>-<random>` and renames it into place, so a reader sees the
 * whole file or nothing; temporary files never appear in {@link LocalStorage.list}. Bodies are
 * written with one `write` per chunk and read with one `read`, so 256 MiB blobs stay fast.
 *
 * @example
 * ```ts
 * const storage = new LocalStorage('/tmp/.stepflow');
 * await storage.put('MyFlow/1/_meta/run.json', Buffer.from('{}'));
 * const bytes = await storage.get('MyFlow/1/_meta/run.json'); // Buffer
 * ```
 */
export class LocalStorage implements StorageBackend {
  readonly kind = 'local';
  /** The absolute root folder. */
  readonly root: string;

  /** @param root the root folder; a relative path is resolved against the working directory. */
  constructor(root: string) {
    this.root = path.resolve(root);
  }

  async put(key: string, body: Uint8Array | readonly Uint8Array[], options?: PutOptions): Promise<boolean> {
    const file = this.fileOf(key);
    if (options?.ifAbsent && (await this.exists(key))) return false;
    return await this.writeVia(key, file, body, async (temp) => {
      await rename(temp, file);
      return true;
    });
  }

  /**
   * Writes a temporary file, then hard-links it to the key's file: `link` fails with EEXIST when the file
   * exists, atomically (also on NFS), so exactly one of several racing writers creates it, and a reader
   * sees the whole file or nothing.
   */
  async createExclusive(key: string, body: Uint8Array | readonly Uint8Array[]): Promise<boolean> {
    const file = this.fileOf(key);
    return await this.writeVia(key, file, body, async (temp) => {
      try {
        await linkOrCopy(temp, file);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw err;
      } finally {
        await rm(temp, { force: true });
      }
    });
  }

  /** Writes `body` to a fresh temporary file beside `file`, then lets `place` move it into place. */
  private async writeVia(
    key: string,
    file: string,
    body: Uint8Array | readonly Uint8Array[],
    place: (temp: string) => Promise<boolean>,
  ): Promise<boolean> {
    const chunks: readonly Uint8Array[] = body instanceof Uint8Array ? [body] : body;
    const temp = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
    try {
      const handle = await openForWrite(temp);
      try {
        for (const chunk of chunks) {
          let offset = 0;
          while (offset < chunk.byteLength) {
            const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
            offset += bytesWritten;
          }
        }
      } finally {
        await handle.close();
      }
      return await place(temp);
    } catch (err) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw new StorageError('write', key, this.root, { cause: err });
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    return await this.withFile(key, async (handle, info) => {
      const buffer = Buffer.allocUnsafeSlow(info.size);
      return buffer.subarray(0, await readInto(handle, buffer, 0));
    });
  }

  /** Reads the bytes of `key` from `offset` on; the tag is the file's inode, size and mtime. */
  async readFrom(
    key: string,
    offset: number,
    options?: ReadFromOptions,
  ): Promise<RangedRead | 'unchanged' | undefined> {
    return await this.withFile(key, async (handle, info): Promise<RangedRead | 'unchanged'> => {
      const tag = `${info.ino}-${info.size}-${info.mtimeMs}`;
      if (tag === options?.ifNoneMatch || info.size <= offset) return 'unchanged';
      const buffer = Buffer.allocUnsafe(info.size - offset);
      return { bytes: buffer.subarray(0, await readInto(handle, buffer, offset)), size: info.size, tag };
    });
  }

  /** Opens `key`'s file for `read`: `undefined` when it is missing or not a file; errors name the key. */
  private async withFile<T>(
    key: string,
    read: (handle: FileHandle, info: Stats) => Promise<T>,
  ): Promise<T | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(this.fileOf(key), 'r');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw new StorageError('read', key, this.root, { cause: err });
    }
    try {
      const info = await handle.stat();
      return info.isFile() ? await read(handle, info) : undefined;
    } catch (err) {
      throw new StorageError('read', key, this.root, { cause: err });
    } finally {
      await handle.close();
    }
  }

  /** Reads a key synchronously (for lazy artifact access); `undefined` when it does not exist. */
  getSync(key: string): Buffer | undefined {
    const file = this.fileOf(key);
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw new StorageError('read', key, this.root, { cause: err });
    }
    try {
      const info = fstatSync(fd);
      if (!info.isFile()) return undefined;
      const buffer = Buffer.allocUnsafeSlow(info.size);
      let offset = 0;
      while (offset < info.size) {
        const bytesRead = readSync(fd, buffer, offset, info.size - offset, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
      }
      return offset === info.size ? buffer : buffer.subarray(0, offset);
    } catch (err) {
      throw new StorageError('read', key, this.root, { cause: err });
    } finally {
      closeSync(fd);
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.fileOf(key))).isFile();
    } catch (err) {
      if (isMissing(err)) return false;
      throw new StorageError('read', key, this.root, { cause: err });
    }
  }

  async list(prefix: string, options?: { readonly recursive?: boolean }): Promise<ListEntry[]> {
    this.checkPrefix(prefix);
    const cut = prefix.lastIndexOf('/') + 1;
    const base = prefix.slice(0, cut);
    const start = prefix.slice(cut);
    const out: ListEntry[] = [];
    const first = await this.readDir(base, prefix);
    for (const entry of first) {
      if (!entry.name.startsWith(start) || TEMP_SUFFIX.test(entry.name)) continue;
      const key = base + entry.name;
      const isDir = await this.isDirectory(entry, key);
      if (!isDir) out.push({ key, isPrefix: false });
      else if (!options?.recursive) out.push({ key: `${key}/`, isPrefix: true });
      else await this.walk(`${key}/`, out, prefix);
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    try {
      await rm(this.fileOf(key), { force: true });
    } catch (err) {
      throw new StorageError('delete', key, this.root, { cause: err });
    }
  }

  /** Adds every file under the folder `dirKey` (ending in `/`) to `out`, depth first. */
  private async walk(dirKey: string, out: ListEntry[], prefix: string): Promise<void> {
    const pending = [dirKey];
    while (pending.length > 0) {
      const dir = pending.pop()!;
      for (const entry of await this.readDir(dir, prefix)) {
        if (TEMP_SUFFIX.test(entry.name)) continue;
        const key = dir + entry.name;
        if (await this.isDirectory(entry, key)) pending.push(`${key}/`);
        else out.push({ key, isPrefix: false });
      }
    }
  }

  private async readDir(dirKey: string, prefix: string): Promise<Dirent[]> {
    try {
      return await readdir(path.join(this.root, dirKey), { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return [];
      throw new StorageError('list', prefix, this.root, { cause: err });
    }
  }

  private async isDirectory(entry: Dirent, key: string): Promise<boolean> {
    if (!entry.isSymbolicLink()) return entry.isDirectory();
    try {
      return (await stat(path.join(this.root, key))).isDirectory();
    } catch {
      return false;
    }
  }

  /** Maps a key to its file, refusing keys that could escape the root or clash with temp files. */
  private fileOf(key: string): string {
    const problem = keyProblem(key);
    if (problem) throw new StorageError('key', key, this.root, { detail: problem });
    return path.join(this.root, key);
  }

  private checkPrefix(prefix: string): void {
    if (prefix === '') return;
    const problem = keyProblem(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
    if (problem) throw new StorageError('list', prefix, this.root, { detail: problem });
  }
}

function keyProblem(key: string): string | undefined {
  const problem = sharedKeyProblem(key);
  if (problem) return problem;
  if (TEMP_SUFFIX.test(key)) return 'a key must not look like a temporary file';
  return undefined;
}

async function openForWrite(file: string): Promise<Awaited<ReturnType<typeof open>>> {
  try {
    return await open(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(path.dirname(file), { recursive: true });
    return await open(file, 'wx');
  }
}

/**
 * Hard-links `temp` to `file` (EEXIST when it exists). On a file system without hard links, copies it with
 * `COPYFILE_EXCL` instead: still exclusive, though a reader could then see the file before it is whole.
 */
async function linkOrCopy(temp: string, file: string): Promise<void> {
  try {
    await link(temp, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    await copyFile(temp, file, constants.COPYFILE_EXCL);
  }
}

/** Fills `buffer` from the file's byte `position` on (fewer bytes if the file is shorter); the bytes read. */
async function readInto(handle: FileHandle, buffer: Buffer, position: number): Promise<number> {
  let read = 0;
  while (read < buffer.byteLength) {
    const { bytesRead } = await handle.read(buffer, read, buffer.byteLength - read, position + read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  return read;
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
