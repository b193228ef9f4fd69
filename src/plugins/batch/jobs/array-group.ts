/**
 * Grouping attempts into AWS Batch array jobs: the launcher's submissions are collected and flushed on
 * `setImmediate` (waiting at most {@link ARRAY_WINDOW_MS} more while more arrive, as the scheduler hands
 * a foreach's children over in one loop); attempts with the same {@link groupKey} form a group, split at
 * the array size cap. A group of one is a plain job (AWS refuses an array of size 1); a larger one has
 * its manifest stored (bounded parallelism), then ONE SubmitJob with `arrayProperties.size`, paced and
 * retried like any submission (after a 5xx, the array is adopted by its submission token). Each member
 * then has the child job id `<parent>:<index>`, and follows that child as a plain job follows its own.
 *
 * @module
 */
import { mapBounded } from '../../../common/index.js';
import {
  arrayRequest,
  groupKey,
  type JobRequest,
  type ManifestChunk,
  manifestChunks,
} from './array-manifest.js';

/**
 * How long a group may wait for more members after the first arrived (ms).
 *
 * @example
 * ```ts
 * new ArrayGrouper({ ...options, windowMs: ARRAY_WINDOW_MS });
 * ```
 */
export const ARRAY_WINDOW_MS = 100;

/** Manifest chunks stored at once. */
const MANIFEST_PARALLEL = 8;

/**
 * A submitted job: a plain job's id, or an array child's (`<parent>:<index>`) with its parent and index.
 *
 * @example
 * ```ts
 * const out: Submitted = { jobId: 'abc:3', arrayJobId: 'abc', arrayIndex: 3 };
 * ```
 */
export interface Submitted {
  readonly jobId?: string;
  readonly arrayJobId?: string;
  readonly arrayIndex?: number;
  /**
   * An array child tells its array it no longer needs it: it ended, was killed (`true`), or was lost to a
   * spot reclaim. Once every child did and one was killed, the parent is terminated too.
   */
  readonly release?: (killed: boolean) => void;
}

/**
 * What an {@link ArrayGrouper} needs.
 *
 * @example
 * ```ts
 * const options: ArrayGrouperOptions = { max: 10_000, submit, manifest, writeChunk };
 * ```
 */
export interface ArrayGrouperOptions {
  /** Largest array (`STEPFLOW_BATCH_ARRAY_MAX`, 2..10000); wider groups are split. */
  readonly max: number;
  /** One SubmitJob through the run's rate (throttle-retries.ts `submitThrottled`). */
  readonly submit: (request: JobRequest, cancelled: () => boolean) => Promise<{ jobId?: string } | undefined>;
  /** Where a new array's manifest goes: its storage key prefix and its `s3://` URL (both ending in `/`). */
  readonly manifest: (step: string, label: string) => { readonly key: string; readonly url: string };
  /** Stores one manifest chunk. */
  readonly writeChunk: (key: string, chunk: ManifestChunk) => Promise<void>;
  /** Extra wait for more members (default {@link ARRAY_WINDOW_MS}). */
  readonly windowMs?: number;
  /** Terminates an array's parent (its children were each terminated by id; not waited for). */
  readonly terminate?: (arrayJobId: string) => Promise<unknown>;
}

interface Pending {
  readonly step: string;
  readonly request: JobRequest;
  readonly cancelled: () => boolean;
  readonly resolve: (out: Submitted | undefined) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Collects the run's submissions and sends them as array jobs where it can.
 *
 * @example
 * ```ts
 * const grouper = new ArrayGrouper({ max: 10_000, submit, manifest, writeChunk });
 * const out = await grouper.submit('work', request, () => false); // { jobId: '<parent>:3', ... }
 * ```
 */
export class ArrayGrouper {
  private pending: Pending[] = [];
  private since = 0;
  private seen = 0;
  private scheduled = false;
  private sequence = 0;
  /** Array jobs submitted, and the children in them (for tests and the benchmark). */
  readonly stats = { arrays: 0, children: 0, plain: 0 };

  constructor(private readonly options: ArrayGrouperOptions) {}

  /** Submits `request` (of `step`) alone or as a child of an array; `undefined` when cancelled first. */
  submit(step: string, request: JobRequest, cancelled: () => boolean): Promise<Submitted | undefined> {
    if (groupKey(step, request) === undefined) return this.plain(request, cancelled);
    return new Promise((resolve, reject) => {
      this.pending.push({ step, request, cancelled, resolve, reject });
      this.seen++;
      if (this.scheduled) return;
      this.scheduled = true;
      this.since = Date.now();
      let counted = this.seen;
      const check = () => {
        // More arrived since the last look, and the window is open: wait a little more.
        if (this.seen !== counted && Date.now() - this.since < (this.options.windowMs ?? ARRAY_WINDOW_MS)) {
          counted = this.seen;
          setTimeout(check, 5);
          return;
        }
        this.scheduled = false;
        this.flush();
      };
      setImmediate(check);
    });
  }

  private plain(request: JobRequest, cancelled: () => boolean): Promise<Submitted | undefined> {
    this.stats.plain++;
    return this.options.submit(request, cancelled);
  }

  /** Sends what was collected: one submission per group (split at the cap). */
  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    const groups = new Map<string, Pending[]>();
    for (const p of batch) {
      if (p.cancelled()) {
        p.resolve(undefined);
        continue;
      }
      const key = groupKey(p.step, p.request) as string;
      const group = groups.get(key);
      if (group) group.push(p);
      else groups.set(key, [p]);
    }
    for (const group of groups.values()) {
      for (let i = 0; i < group.length; i += this.options.max) {
        void this.send(group.slice(i, i + this.options.max));
      }
    }
  }

  private async send(members: Pending[]): Promise<void> {
    if (members.length === 1) {
      const [only] = members as [Pending];
      return this.plain(only.request, only.cancelled).then(only.resolve, only.reject);
    }
    const first = members[0] as Pending;
    const attempts = [...new Set(members.map((m) => attemptOf(m.request)))].sort((a, b) => a - b);
    const label = `a${++this.sequence}-${attempts[0]}${attempts.length > 1 ? `-${attempts.at(-1)}` : ''}`;
    try {
      const requests = members.map((m) => m.request);
      const where = this.options.manifest(first.step, label);
      const chunks = manifestChunks(requests);
      await mapBounded(chunks, MANIFEST_PARALLEL, (chunk, k) =>
        this.options.writeChunk(`${where.key}${k}.json`, chunk),
      );
      const out = await this.options.submit(arrayRequest(requests, label, where.url), () =>
        members.every((m) => m.cancelled()),
      );
      if (!out) {
        for (const m of members) m.resolve(undefined);
        return;
      }
      if (!out.jobId) throw new Error('SubmitJob returned no job id for the array job');
      this.stats.arrays++;
      this.stats.children += members.length;
      const parent = out.jobId;
      const release = this.releaser(parent, members.length);
      members.forEach((m, index) => {
        m.resolve({
          jobId: `${parent}:${index}`,
          arrayJobId: parent,
          arrayIndex: index,
          release: release(index),
        });
      });
    } catch (err) {
      for (const m of members) m.reject(err);
    }
  }

  /**
   * The release of each child of array job `parent` (of `size` children). Made apart from {@link send} so
   * the children's releases, held until each child ends, do not keep the group's requests alive.
   */
  private releaser(parent: string, size: number): (index: number) => (byKill: boolean) => void {
    const open = new Set(Array.from({ length: size }, (_, i) => i));
    let killed = false;
    return (index) => (byKill) => {
      if (!open.delete(index)) return;
      killed ||= byKill;
      // Every child ended or was stopped, one by a kill: the parent goes too (AWS would end it anyway
      // once its children ended; the local stand-in ignores it and stops children only by id).
      if (open.size === 0 && killed) void this.options.terminate?.(parent).catch(() => {});
    };
  }
}

/** The attempt number at the end of a job name (`...-<task>-<attempt>`). */
function attemptOf(request: JobRequest): number {
  return Number(/-(\d+)$/.exec(request.jobName)?.[1] ?? 0);
}
