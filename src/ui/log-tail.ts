/**
 * A task's log read by offset: the page first asks for the tail of a stream, then, each second, only
 * for the bytes after its cursor (a segment and an offset in it, see the datastore's log segments), read
 * with the backend's `readFrom` (a ranged GET on S3). Text is cut at whole UTF-8 characters.
 *
 * @module
 */
import { type LogStream, logSegmentName, type StorageBackend, taskPrefix } from '../datastore/index.js';
import type { LogChunk } from './api-types.js';
import { UiError } from './errors.js';

/** The last bytes of a log the first answer holds. */
export const LOG_TAIL_BYTES = 256 * 1024;
/** The most bytes one answer holds (the page asks again for the rest). */
export const LOG_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Where a reader stands in a stream: segment `segment`, `offset` bytes into it.
 *
 * @example
 * ```ts
 * parseCursor('2:1024'); // { segment: 2, offset: 1024 }
 * ```
 */
export interface LogCursor {
  readonly segment: number;
  readonly offset: number;
}

/**
 * Reads a cursor from the query (`<segment>:<offset>`); `undefined` when absent.
 *
 * @example
 * ```ts
 * parseCursor(c.req.query('cursor'));
 * ```
 */
export function parseCursor(text: string | undefined): LogCursor | undefined {
  if (text === undefined || text === '') return undefined;
  const m = /^(\d{1,6}):(\d{1,15})$/.exec(text);
  if (!m) throw new UiError(`A log cursor is <segment>:<offset> (digits), not "${text}".`);
  return { segment: Number(m[1]), offset: Number(m[2]) };
}

/**
 * What {@link readLogChunk} reads.
 *
 * @example
 * ```ts
 * const where: LogWhere = { flow: 'F', runId: '1', step: 's', taskId: '2', attempt: 0, stream: 'stdout' };
 * ```
 */
export interface LogWhere {
  readonly flow: string;
  readonly runId: string;
  readonly step: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly stream: LogStream;
}

/**
 * The bytes of a log after `cursor` (or its tail without one), and the cursor to ask with next.
 *
 * @example
 * ```ts
 * const chunk = await readLogChunk(storage, where, parseCursor('0:512'));
 * ```
 */
export async function readLogChunk(
  storage: StorageBackend,
  where: LogWhere,
  cursor: LogCursor | undefined,
): Promise<LogChunk> {
  const prefix = `${taskPrefix(where.flow, where.runId, where.step, where.taskId)}${where.attempt}.`;
  const names = new Set(
    (await storage.list(prefix)).filter((e) => !e.isPrefix).map((e) => e.key.slice(prefix.length)),
  );
  const complete = names.has('logs.json');
  let last = -1;
  while (names.has(logSegmentName(where.stream, last + 1))) last++;
  const base = { attempt: where.attempt, stream: where.stream, complete };
  if (last < 0) return { ...base, text: '', cursor: cursor ? format(cursor) : '0:0', cut: false };

  const parts: Buffer[] = [];
  let at: LogCursor;
  let cut = false;
  if (cursor === undefined) {
    const read = await readFrom(storage, prefix + logSegmentName(where.stream, last), 0);
    const bytes = read?.bytes ?? Buffer.alloc(0);
    const from = Math.max(0, bytes.length - LOG_TAIL_BYTES);
    cut = from > 0 || last > 0;
    parts.push(startAtCharacter(bytes.subarray(from)));
    at = { segment: last, offset: bytes.length };
  } else {
    at = cursor;
    let size = 0;
    for (let n = cursor.segment; n <= last && size < LOG_CHUNK_BYTES; n++) {
      const offset = n === cursor.segment ? cursor.offset : 0;
      const read = await readFrom(storage, prefix + logSegmentName(where.stream, n), offset);
      const bytes = read?.bytes.subarray(0, LOG_CHUNK_BYTES - size) ?? Buffer.alloc(0);
      parts.push(bytes);
      size += bytes.length;
      at = { segment: n, offset: offset + bytes.length };
    }
  }
  const all = Buffer.concat(parts);
  // A character cut at the end is sent next time (unless it began in an earlier segment).
  let back = incompleteTail(all);
  if (back > at.offset) back = 0;
  const next = { segment: at.segment, offset: at.offset - back };
  return { ...base, text: all.subarray(0, all.length - back).toString('utf8'), cursor: format(next), cut };
}

function format(c: LogCursor): string {
  return `${c.segment}:${c.offset}`;
}

async function readFrom(
  storage: StorageBackend,
  key: string,
  offset: number,
): Promise<{ bytes: Buffer } | undefined> {
  if (storage.readFrom) {
    const got = await storage.readFrom(key, offset);
    if (got === 'unchanged') return { bytes: Buffer.alloc(0) };
    return got;
  }
  const whole = await storage.get(key);
  return whole ? { bytes: whole.subarray(offset) } : undefined;
}

/** How many bytes at the end of `bytes` start a UTF-8 character that is not whole yet (0–3). */
function incompleteTail(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const b = bytes[bytes.length - back] as number;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/** Drops continuation bytes at the start (a tail cut inside a character). */
function startAtCharacter(bytes: Buffer): Buffer {
  let i = 0;
  while (i < Math.min(3, bytes.length) && ((bytes[i] as number) & 0xc0) === 0x80) i++;
  return bytes.subarray(i);
}
