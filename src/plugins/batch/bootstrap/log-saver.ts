/**
 * The task's own logs, saved by the bootstrap: the task's stdout and stderr are teed to the container's
 * (so CloudWatch still gets them) and PUT to the attempt's log keys in the datastore in segments
 * (`datastore/log-segments.ts`: memory and bytes written O(segment) and O(log)), often at first and less
 * often later ({@link uploadDelayMs}), at once when a whole segment is waiting, only when they grew, and
 * once more at exit; then the completion marker (`<attempt>.logs.json`, a `LogRecord`, written after the
 * last segment) tells the runtime the logs are whole. Each PUT is retried with backoff; one that still
 * fails is said on stderr and listed in the marker's `warnings` (the task's exit code is unchanged).
 * Node built-ins only (and the pure log-segments module).
 *
 * @module
 */
import { createHash } from 'node:crypto';
import {
  LOG_RECORD_NAME,
  LOG_REWRITE_BYTES,
  LOG_SEGMENT_BYTES,
  type LogRecord,
  logSegmentName,
  SegmentedLog,
} from '../../../datastore/log-segments.js';
import { type Env, type Fetch, resolveCredentials } from './credentials.js';
import { type Credentials, s3ObjectUrl, signRequest } from './sigv4.js';

/**
 * The completion marker (`<attempt>.logs.json`): a {@link LogRecord} with how the task ended.
 *
 * @example
 * ```ts
 * const marker: LogMarker = { stdout: 120, stderr: 0, segments: { stdout: 1, stderr: 0 }, exitCode: 0 };
 * ```
 */
export type LogMarker = LogRecord;

/**
 * Milliseconds between two uploads: 250 ms at first, doubling every 2 minutes of the task's life (0.35 s
 * after one minute, 1 s after four, 30 s from about 14 minutes on), and never less than the time `bytes`
 * (what the next upload rewrites: the open segment) take at 1 MiB/s, so that rewriting the open segment
 * costs at most about 1 MiB per second per stream (full segments are uploaded at once, whatever the delay). `minMs` is the launcher's floor for a job started among many (`STEPFLOW_TASK_LOGS_MIN_MS`:
 * the run's budget of log uploads, so that hundreds of jobs do not flood S3).
 *
 * @example
 * ```ts
 * uploadDelayMs(0, 0);          // 250
 * uploadDelayMs(240_000, 0);    // 1000
 * uploadDelayMs(0, 10 * 2 ** 20); // 10000
 * ```
 */
export function uploadDelayMs(elapsedMs: number, bytes: number, minMs = 250): number {
  const byTime = Math.max(minMs, Math.min(30_000, 250 * 2 ** (elapsedMs / 120_000)));
  return Math.max(byTime, (bytes / 2 ** 20) * 1000);
}

/**
 * PUTs one object with a SigV4-signed request (path style under `METAFLOW_S3_ENDPOINT_URL` when set,
 * `x-amz-server-side-encryption` when `METAFLOW_S3_SERVER_SIDE_ENCRYPTION` is set); throws on failure.
 *
 * @example
 * ```ts
 * await putObject('s3://b/F/1/s/2/0.stdout.log', Buffer.from('hi\n'), creds, process.env, fetch);
 * ```
 */
export async function putObject(
  location: string,
  body: Uint8Array,
  credentials: Credentials,
  env: Env,
  fetchImpl: Fetch,
): Promise<void> {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  if (!m) throw new Error(`not an s3:// URL: ${location}`);
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const url = s3ObjectUrl(m[1] as string, m[2] as string, region, env.METAFLOW_S3_ENDPOINT_URL || undefined);
  const sse = env.METAFLOW_S3_SERVER_SIDE_ENCRYPTION;
  const headers = signRequest({
    method: 'PUT',
    url,
    region,
    service: 's3',
    credentials,
    headers: {
      'content-length': String(body.byteLength),
      ...(sse ? { 'x-amz-server-side-encryption': sse } : {}),
    },
    payloadHash: createHash('sha256').update(body).digest('hex'),
  });
  const res = await fetchImpl(url.href, { method: 'PUT', headers, body });
  if (!res.ok) throw new Error(`PUT ${location}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
}

/** The launcher's floor for the upload interval of this job, in ms (see {@link uploadDelayMs}). */
export const LOGS_MIN_MS_ENV = 'STEPFLOW_TASK_LOGS_MIN_MS';

type Stream = 'stdout' | 'stderr';
const STREAMS = ['stdout', 'stderr'] as const;

/**
 * Options of {@link LogSaver} (tests and the benchmark).
 *
 * @example
 * ```ts
 * const options: LogSaverOptions = { segmentBytes: 1024, retries: 0 };
 * ```
 */
export interface LogSaverOptions {
  readonly segmentBytes?: number;
  readonly rewriteBytes?: number;
  /** Tries after a failed PUT (default 3), 500 ms doubling. */
  readonly retries?: number;
  readonly baseDelayMs?: number;
}

/**
 * Collects the task's output and saves it under `prefix` (`s3://bucket/.../<attempt>.`, to which the
 * segment names, `stdout.log`, `stdout.1.log`, ..., and `logs.json` are appended).
 *
 * @example
 * ```ts
 * const saver = new LogSaver('s3://b/F/1/s/2/0.', process.env);
 * child.stdout.on('data', (c) => saver.add('stdout', c));
 * saver.start();
 * await saver.close(exitCode); // final upload, then the marker; never rejects
 * ```
 */
export class LogSaver {
  private readonly logs: Record<Stream, SegmentedLog>;
  private readonly saved: Record<Stream, Map<number, number>> = { stdout: new Map(), stderr: new Map() };
  private readonly failed = new Map<string, string>();
  private credentials: { value: Credentials; at: number } | undefined;
  private busy: Promise<void> = Promise.resolve();
  private queued = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private readonly started = Date.now();
  private readonly segmentBytes: number;
  /** Bytes PUT and PUT requests made (for tests and the benchmark). */
  bytesWritten = 0;
  puts = 0;

  constructor(
    private readonly prefix: string,
    private readonly env: Env,
    private readonly fetchImpl: Fetch = fetch as unknown as Fetch,
    private readonly options: LogSaverOptions = {},
  ) {
    this.segmentBytes = options.segmentBytes ?? LOG_SEGMENT_BYTES;
    const rewrite = options.rewriteBytes ?? LOG_REWRITE_BYTES;
    this.logs = {
      stdout: new SegmentedLog(this.segmentBytes, rewrite),
      stderr: new SegmentedLog(this.segmentBytes, rewrite),
    };
  }

  /** Takes a chunk of the task's output; uploads at once when a whole segment is waiting. */
  add(stream: Stream, chunk: Buffer): void {
    this.logs[stream].add(chunk);
    if (this.logs[stream].pendingBytes >= this.segmentBytes) void this.save(true);
  }

  /** True when more than two segments wait: pause the source until {@link LogSaver.save} resolves. */
  get full(): boolean {
    return (
      this.queued + this.logs.stdout.pendingBytes + this.logs.stderr.pendingBytes > 2 * this.segmentBytes
    );
  }

  /** Starts the periodic uploads. */
  start(): void {
    if (this.closed) return;
    const delay = uploadDelayMs(
      Date.now() - this.started,
      Math.max(this.logs.stdout.openBytes, this.logs.stderr.openBytes),
      Number(this.env[LOGS_MIN_MS_ENV]) || 250,
    );
    this.timer = setTimeout(() => void this.save().then(() => this.start()), delay);
  }

  /** Uploads what was added (after any upload in progress); resolves when done (`fullOnly`: only full segments). Never rejects. */
  save(fullOnly = false): Promise<void> {
    const writes = STREAMS.flatMap((s) => this.logs[s].take(fullOnly).map((w) => ({ stream: s, ...w })));
    if (writes.length === 0) return this.busy;
    const bytes = writes.reduce((n, w) => n + w.bytes, 0);
    this.queued += bytes;
    this.busy = this.busy.then(async () => {
      for (const w of writes) {
        const name = logSegmentName(w.stream, w.index);
        const error = await this.tryPut(name, w.body);
        const id = `${w.stream}:${w.index}`;
        if (error === undefined) {
          this.saved[w.stream].set(w.index, w.bytes);
          this.failed.delete(id);
        } else {
          const message = `could not save ${w.stream} bytes ${w.start}–${w.start + w.bytes} (${name}): ${error}`;
          this.failed.set(id, message);
          console.error(`stepflow bootstrap: ${message}`);
        }
      }
      this.queued -= bytes;
    });
    return this.busy;
  }

  /** Stops the uploads, saves what changed, then writes the marker. Never rejects; returns the marker. */
  async close(exitCode: number): Promise<LogMarker> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.save();
    const sum = (s: Stream) => [...this.saved[s].values()].reduce((a, b) => a + b, 0);
    const warnings = [...this.failed.values()];
    const marker: LogMarker = {
      stdout: sum('stdout'),
      stderr: sum('stderr'),
      segments: { stdout: this.logs.stdout.segments, stderr: this.logs.stderr.segments },
      exitCode,
      ...(warnings.length > 0 ? { warnings } : {}),
    };
    const error = await this.tryPut(LOG_RECORD_NAME, [Buffer.from(JSON.stringify(marker))]);
    if (error !== undefined) console.error(`stepflow bootstrap: could not save the log marker: ${error}`);
    return marker;
  }

  /** PUTs with retries; `undefined`, or the last error's message. */
  private async tryPut(name: string, body: readonly Buffer[]): Promise<string | undefined> {
    const retries = this.options.retries ?? 3;
    const base = this.options.baseDelayMs ?? 500;
    let last = '';
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, base * 2 ** (attempt - 1)));
      try {
        const whole = body.length === 1 ? (body[0] as Buffer) : Buffer.concat(body);
        await this.put(name, whole);
        this.bytesWritten += whole.byteLength;
        return undefined;
      } catch (err) {
        this.credentials = undefined; // looked up again after a failure
        last = (err as Error)?.message ?? String(err);
      }
    }
    return `${last} (after ${retries + 1} tries)`;
  }

  private async put(name: string, body: Buffer): Promise<void> {
    // Container credentials rotate: look them up again every 10 minutes and after a failure.
    if (!this.credentials || Date.now() - this.credentials.at > 600_000)
      this.credentials = { value: await resolveCredentials(this.env, this.fetchImpl), at: Date.now() };
    this.puts++;
    await putObject(this.prefix + name, body, this.credentials.value, this.env, this.fetchImpl);
  }
}
