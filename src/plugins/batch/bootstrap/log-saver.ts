/**
 * The task's own logs, saved by the bootstrap: the task's stdout and stderr are teed to the container's
 * (so CloudWatch still gets them) and PUT to the attempt's log keys in the datastore, often at first and
 * less often later ({@link uploadDelayMs}), only when they grew, and once more at exit; then a completion
 * marker (`<attempt>.logs.json`, written last) tells the runtime the logs are whole. Node built-ins only.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { type Env, type Fetch, resolveCredentials } from './credentials.js';
import { type Credentials, s3ObjectUrl, signRequest } from './sigv4.js';

/**
 * The completion marker (`<attempt>.logs.json`): the byte count of each saved log and how the task ended.
 *
 * @example
 * ```ts
 * const marker: LogMarker = { stdout: 120, stderr: 0, exitCode: 0 };
 * ```
 */
export interface LogMarker {
  readonly stdout: number;
  readonly stderr: number;
  readonly exitCode: number;
}

/**
 * Milliseconds between two uploads: 250 ms at first, doubling every 2 minutes of the task's life (0.35 s
 * after one minute, 1 s after four, 30 s from about 14 minutes on), and never less than the time the log
 * takes at 1 MiB/s, so that a chatty task uploads at most about 1 MiB per second per stream instead of
 * O(n²) bytes. `minMs` is the launcher's floor for a job started among many (`STEPFLOW_TASK_LOGS_MIN_MS`:
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

/**
 * Collects the task's output and saves it under `prefix` (`s3://bucket/.../<attempt>.`, to which
 * `stdout.log`, `stderr.log` and `logs.json` are appended).
 *
 * @example
 * ```ts
 * const saver = new LogSaver('s3://b/F/1/s/2/0.', process.env);
 * child.stdout.on('data', (c) => saver.add('stdout', c));
 * saver.start();
 * await saver.close(exitCode); // final upload, then the marker
 * ```
 */
export class LogSaver {
  private readonly chunks: Record<Stream, Buffer[]> = { stdout: [], stderr: [] };
  private readonly size: Record<Stream, number> = { stdout: 0, stderr: 0 };
  private readonly saved: Record<Stream, number> = { stdout: 0, stderr: 0 };
  private credentials: { value: Credentials; at: number } | undefined;
  private busy: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private warned = false;
  private readonly started = Date.now();

  constructor(
    private readonly prefix: string,
    private readonly env: Env,
    private readonly fetchImpl: Fetch = fetch as unknown as Fetch,
  ) {}

  /** Takes a chunk of the task's output. */
  add(stream: Stream, chunk: Buffer): void {
    this.chunks[stream].push(chunk);
    this.size[stream] += chunk.byteLength;
  }

  /** Starts the periodic uploads. */
  start(): void {
    if (this.closed) return;
    const delay = uploadDelayMs(
      Date.now() - this.started,
      Math.max(this.size.stdout, this.size.stderr),
      Number(this.env[LOGS_MIN_MS_ENV]) || 250,
    );
    this.timer = setTimeout(() => {
      this.busy = this.busy.then(() => this.upload()).catch((err: unknown) => this.warn(err));
      void this.busy.then(() => this.start());
    }, delay);
  }

  /** Stops the uploads, saves what changed (with retries), then writes the marker. */
  async close(exitCode: number): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.busy;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.upload();
        const marker: LogMarker = { stdout: this.saved.stdout, stderr: this.saved.stderr, exitCode };
        await this.put('logs.json', Buffer.from(JSON.stringify(marker)));
        return;
      } catch (err) {
        this.credentials = undefined;
        if (attempt >= 3) throw err;
        await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
      }
    }
  }

  private async upload(): Promise<void> {
    const jobs: Promise<void>[] = [];
    for (const s of ['stdout', 'stderr'] as const) {
      const size = this.size[s];
      if (size === this.saved[s]) continue;
      const body = Buffer.concat(this.chunks[s], size);
      this.chunks[s] = [body];
      jobs.push(this.put(`${s}.log`, body).then(() => void (this.saved[s] = size)));
    }
    await Promise.all(jobs);
  }

  private async put(name: string, body: Buffer): Promise<void> {
    // Container credentials rotate: look them up again every 10 minutes and after a failure.
    if (!this.credentials || Date.now() - this.credentials.at > 600_000)
      this.credentials = { value: await resolveCredentials(this.env, this.fetchImpl), at: Date.now() };
    await putObject(this.prefix + name, body, this.credentials.value, this.env, this.fetchImpl);
  }

  private warn(err: unknown): void {
    this.credentials = undefined;
    if (this.warned) return;
    this.warned = true;
    console.error(
      `stepflow bootstrap: could not save the task's logs (will retry): ${(err as Error)?.message}`,
    );
  }
}
