/**
 * The task page's logs: the tail of each stream first, then each second only the bytes after the
 * cursor the server gave (`GET /api/log/...&cursor=`), appended to what is shown. Follows the task's
 * current attempt; stops once the logs are whole (or, for an attempt that ended without a log record,
 * after ten quiet polls).
 *
 * @module
 */
import type { LogChunk, TaskResponse } from '../api-types.js';

const POLL_MS = 1000;
/** Characters kept per stream on the page (older ones are dropped). */
const KEEP_CHARS = 1 << 20;
const QUIET_POLLS = 10;

interface StreamState {
  text: string;
  cursor: string | undefined;
  cut: boolean;
  complete: boolean;
}

const fresh = (): StreamState => ({ text: '', cursor: undefined, cut: false, complete: false });

/**
 * Keeps the logs of one task on the page.
 *
 * @example
 * ```ts
 * const logs = new LogFollower('/api/log/HelloFlow/17/start/1');
 * logs.show(body, true); // after each render of the task
 * ```
 */
export class LogFollower {
  private attempt: number | undefined;
  private streams = { stdout: fresh(), stderr: fresh() };
  private live = false;
  private running = false;

  constructor(private readonly api: string) {}

  /** Called after each render: paints what is held and follows `body.logAttempt`. */
  show(body: TaskResponse, live: boolean): void {
    if (body.logAttempt !== this.attempt) {
      this.attempt = body.logAttempt;
      this.streams = { stdout: fresh(), stderr: fresh() };
    }
    this.live = live;
    this.paint();
    if (!this.running && this.attempt !== undefined) {
      this.running = true;
      void this.follow().finally(() => {
        this.running = false;
      });
    }
  }

  private async follow(): Promise<void> {
    let quiet = 0;
    for (;;) {
      const attempt = this.attempt;
      if (attempt === undefined) return;
      let got = false;
      for (const stream of ['stdout', 'stderr'] as const) {
        const s = this.streams[stream];
        if (s.complete) continue;
        const query = new URLSearchParams({ attempt: String(attempt), stream });
        if (s.cursor !== undefined) query.set('cursor', s.cursor);
        const res = await fetch(`${this.api}?${query}`).catch(() => undefined);
        if (!res?.ok || attempt !== this.attempt) continue;
        const chunk = (await res.json()) as LogChunk;
        if (attempt !== this.attempt || this.streams[stream] !== s) continue;
        s.text += chunk.text;
        if (s.text.length > KEEP_CHARS) {
          s.text = s.text.slice(-KEEP_CHARS);
          s.cut = true;
        }
        s.cut ||= chunk.cut;
        s.cursor = chunk.cursor;
        s.complete = chunk.complete;
        got ||= chunk.text.length > 0;
      }
      this.paint();
      if (this.streams.stdout.complete && this.streams.stderr.complete) return;
      quiet = this.live || got ? 0 : quiet + 1;
      if (quiet >= QUIET_POLLS) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  private paint(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const pre = document.getElementById(stream);
      const s = this.streams[stream];
      if (pre && pre.textContent !== s.text) {
        const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
        pre.textContent = s.text;
        if (atEnd) pre.scrollTop = pre.scrollHeight;
      }
    }
    const note = document.getElementById('log-note');
    if (note) {
      const cut = this.streams.stdout.cut || this.streams.stderr.cut;
      note.textContent = cut ? 'earlier lines not shown: see `stepflow logs`' : '';
    }
  }
}
