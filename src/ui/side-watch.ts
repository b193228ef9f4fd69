/**
 * Side records of unfinished attempts (`<attempt>.batch.json`, ...) are rewritten in place while the
 * attempt runs (a job's status, a spot reclaim), which no listing shows. {@link SideRecordWatch} follows
 * them with conditional reads (`readFrom(key, 0, { ifNoneMatch })`: a 304 on S3, a stat on a local
 * folder), at most 100 a poll, round-robin, so a live page's version changes when one is rewritten.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { mapBounded } from '../common/limit.js';
import type { StorageBackend } from '../datastore/index.js';
import { type StepScan, sideRecordAttempt, signatureOf } from './run-scan.js';

/** Most side records checked by one poll of a page. */
export const CHECKS_PER_POLL = 100;
/** Checks in flight at once. */
export const CHECKS_IN_FLIGHT = 16;

interface Watched {
  /** The version tag of the bytes below. */
  tag: string;
  /** Rewrites seen by a check (not by a page build, whose answer already holds them). */
  revision: number;
  bytes: Buffer;
  parsed?: { value: unknown };
}

/**
 * Version tags of the side records of unfinished attempts, kept per key across polls: an unchanged
 * record costs one conditional request and no parse; a rewritten one bumps its revision, which goes into
 * the pages' versions, and its new bytes replace the old ones (the rebuild reads them). Records of
 * finished attempts are not passed here again ({@link SideRecordWatch.forget}). Bounded: past
 * `maxEntries` keys it is cleared whole (a revision back to 0 changes the versions once: a rebuild).
 *
 * @example
 * ```ts
 * const watch = new SideRecordWatch();
 * const version = await watch.check(storage, 'MyFlow/17/', unfinishedSideKeys);
 * const record = await watch.read(storage, 'MyFlow/17/train/3/0.batch.json');
 * ```
 */
export class SideRecordWatch {
  private readonly entries = new Map<string, Watched>();
  /** The last key checked, per scope (a run's or a step's prefix): the next poll starts after it. */
  private readonly cursors = new Map<string, string>();

  constructor(
    private readonly perPoll = CHECKS_PER_POLL,
    private readonly maxEntries = 100_000,
  ) {}

  /** Keys followed (for tests). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Checks up to 100 of `keys` (sorted), starting after the last one `scope` checked (wrapping), 16 in
   * flight, and returns the signature of every key's revision: it changes when a check finds a record
   * rewritten since it was last seen. A record seen for the first time is not a change (a page build
   * reads it through {@link SideRecordWatch.read}, which keeps its tag).
   */
  async check(storage: StorageBackend, scope: string, keys: readonly string[]): Promise<string> {
    if (keys.length === 0) return '';
    const last = this.cursors.get(scope);
    let first = last === undefined ? 0 : keys.findIndex((k) => k > last);
    if (first < 0) first = 0;
    const chosen: string[] = [];
    for (let i = 0; i < Math.min(this.perPoll, keys.length); i++) {
      chosen.push(keys[(first + i) % keys.length] as string);
    }
    this.cursors.set(scope, chosen.at(-1) as string);
    await mapBounded(chosen, CHECKS_IN_FLIGHT, async (key) => {
      const seen = this.entries.get(key);
      const got = await readTagged(storage, key, seen?.tag);
      if (got === 'unchanged') return;
      if (got === undefined) {
        this.entries.delete(key);
        return;
      }
      this.keep(key, got, seen ? seen.revision + 1 : 0);
    });
    return signatureOf(
      keys.flatMap((k) => {
        const revision = this.entries.get(k)?.revision ?? 0;
        return revision > 0 ? [`${k}:${revision}`] : [];
      }),
    );
  }

  /**
   * The record at `key`, parsed (`undefined` when missing or not JSON): one conditional read, and the
   * bytes kept from the last read or check when it is unchanged.
   */
  async read(storage: StorageBackend, key: string): Promise<unknown> {
    const seen = this.entries.get(key);
    const got = await readTagged(storage, key, seen?.tag);
    if (got === undefined) {
      this.entries.delete(key);
      return undefined;
    }
    const entry = got === 'unchanged' ? seen : this.keep(key, got, seen?.revision ?? 0);
    if (!entry) return undefined;
    if (!entry.parsed) {
      try {
        entry.parsed = { value: JSON.parse(entry.bytes.toString('utf8')) as unknown };
      } catch {
        entry.parsed = { value: undefined };
      }
    }
    return entry.parsed.value;
  }

  /**
   * The signature of the current tags of `keys` (all of them, each one conditional read): for a page
   * that shows every one of them (a task's), so a rewrite between its version and its build shows next time.
   */
  async tagsOf(storage: StorageBackend, keys: readonly string[]): Promise<string> {
    const tags = await mapBounded(keys, CHECKS_IN_FLIGHT, async (key) => {
      const seen = this.entries.get(key);
      const got = await readTagged(storage, key, seen?.tag);
      if (got === undefined) {
        this.entries.delete(key);
        return '';
      }
      return got === 'unchanged' ? (seen?.tag ?? '') : this.keep(key, got, seen?.revision ?? 0).tag;
    });
    return signatureOf(keys.map((k, i) => `${k}:${tags[i]}`));
  }

  /** Stops following `key` (its attempt finished: its records no longer change). */
  forget(key: string): void {
    this.entries.delete(key);
  }

  private keep(key: string, got: { tag: string; bytes: Buffer }, revision: number): Watched {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) this.entries.clear();
    const entry: Watched = { tag: got.tag, bytes: got.bytes, revision };
    this.entries.set(key, entry);
    return entry;
  }
}

/**
 * The keys of the side records of a step's unfinished attempts (no done record), sorted.
 *
 * @example
 * ```ts
 * const keys = unfinishedSideKeys(scan); // ['F/1/train/3/0.batch.json', ...]
 * ```
 */
export function unfinishedSideKeys(scan: StepScan): string[] {
  const out: string[] = [];
  for (const files of scan.tasks.values()) {
    if (files.records.size === 0) continue;
    for (const key of files.keys) {
      const attempt = sideRecordAttempt(key);
      if (attempt !== undefined && !files.done.has(attempt)) out.push(key);
    }
  }
  return out.sort();
}

/**
 * `readFrom(key, 0, { ifNoneMatch: tag })`; a backend without `readFrom` (or without tags) is read
 * whole and tagged by a hash of the bytes.
 */
async function readTagged(
  storage: StorageBackend,
  key: string,
  tag: string | undefined,
): Promise<{ tag: string; bytes: Buffer } | 'unchanged' | undefined> {
  if (storage.readFrom) {
    const got = await storage.readFrom(key, 0, tag === undefined ? {} : { ifNoneMatch: tag });
    if (got === 'unchanged') return tag === undefined ? { tag: 'empty', bytes: Buffer.alloc(0) } : got;
    if (got === undefined) return undefined;
    if (got.tag !== undefined) return { tag: got.tag, bytes: got.bytes };
    const hash = hashOf(got.bytes);
    return hash === tag ? 'unchanged' : { tag: hash, bytes: got.bytes };
  }
  const bytes = await storage.get(key);
  if (bytes === undefined) return undefined;
  const hash = hashOf(bytes);
  return hash === tag ? 'unchanged' : { tag: hash, bytes };
}

function hashOf(bytes: Buffer): string {
  return `sha1:${createHash('sha1').update(bytes).digest('base64url')}`;
}
