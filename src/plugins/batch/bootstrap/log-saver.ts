/**
 * The task's own logs, saved by the bootstrap: the task's stdout and stderr are teed to the container's
 * (so CloudWatch still gets them) and PUT to the attempt's log keys in the datastore in segments
 * (`datastore/log-segments.ts`: memory and bytes written O(segment) and O(log)), often at first and less
 * often later ({@link uploadDelayMs}), at once when a whole segment is waiting, only when they grew, and
 * once more at exit; then the completion marker (`<attempt>.logs.json`, a `LogRecord`, written after the
 * last segment) tells the runtime the logs are whole. Each PUT is retried with backoff; one that still
 * fails is said on stderr and listed in the marker's `warnings` (the task's exit code is unchanged).
 * Node built-ins only (and the pure log-segments and log-segment-saver modules: the segment/retry loop).
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { LogSegmentSaver } from '../../../datastore/log-segment-saver.js';
import { LOG_RECORD_NAME, type LogRecord } from '../../../datastore/log-segments.js';
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
export class LogSaver extends LogSegmentSaver {
  private credentials: { value: Credentials; at: number } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private readonly started = Date.now();
  /** PUT requests made (for tests and the benchmark; `bytesWritten`: bytes PUT). */
  puts = 0;

  constructor(
    private readonly prefix: string,
    private readonly env: Env,
    private readonly fetchImpl: Fetch = fetch as unknown as Fetch,
    options: LogSaverOptions = {},
  ) {
    super({
      retries: options.retries ?? 3,
      baseDelayMs: options.baseDelayMs ?? 500,
      segmentBytes: options.segmentBytes,
      rewriteBytes: options.rewriteBytes,
    });
  }

  /** Starts the periodic uploads. */
  start(): void {
    if (this.closed) return;
    const delay = uploadDelayMs(
      Date.now() - this.started,
      this.openBytes,
      Number(this.env[LOGS_MIN_MS_ENV]) || 250,
    );
    this.timer = setTimeout(() => void this.save().then(() => this.start()), delay);
  }

  /** Stops the uploads, saves what changed, then writes the marker. Never rejects; returns the marker. */
  async close(exitCode: number): Promise<LogMarker> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const marker: LogMarker = await this.finish({ exitCode });
    const ok = await this.tryPut(LOG_RECORD_NAME, [Buffer.from(JSON.stringify(marker))]);
    if (ok !== true) console.error(`stepflow bootstrap: could not save the log marker: ${ok}`);
    return marker;
  }

  protected async putObject(name: string, body: readonly Buffer[]): Promise<void> {
    try {
      await this.put(name, body.length === 1 ? (body[0] as Buffer) : Buffer.concat(body));
    } catch (err) {
      this.credentials = undefined; // looked up again after a failure
      throw err;
    }
  }

  protected warn(message: string): void {
    console.error(`stepflow bootstrap: ${message}`);
  }

  private async put(name: string, body: Buffer): Promise<void> {
    // Container credentials rotate: look them up again every 10 minutes and after a failure.
    if (!this.credentials || Date.now() - this.credentials.at > 600_000)
      this.credentials = { value: await resolveCredentials(this.env, this.fetchImpl), at: Date.now() };
    this.puts++;
    await putObject(this.prefix + name, body, this.credentials.value, this.env, this.fetchImpl);
  }
}
