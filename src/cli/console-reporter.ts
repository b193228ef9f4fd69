/**
 * Renders a run's events on the terminal: each task starting and finishing with its pathspec, task output
 * prefixed with it, failures with their message, a live progress line for wide foreach steps when stdout
 * is a terminal, and a final summary. A step with more than 20 tasks in flight at once prints progress
 * lines and its failures instead of every task's lines (see wide-steps.ts).
 *
 * @module
 */
import type { Reporter, RunSummary } from '../runtime/index.js';
import { WIDE_PROGRESS_MS, WideSteps } from './wide-steps.js';

/** Where the reporter writes. */
export interface ConsoleStreams {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
  /** The command that resumes a failed run (`stepflow resume flow.ts`), said after its summary. */
  readonly resumeCommand?: string;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
}

/** A wait as people say it: `45 s`, `2 min`, `1.5 min`, `3 h`. */
export function formatWait(ms: number): string {
  const s = ms / 1000;
  const short = (n: number) => String(Math.round(n * 10) / 10);
  if (s < 60) return `${Math.max(1, Math.round(s))} s`;
  if (s < 3600) return `${short(s / 60)} min`;
  return `${short(s / 3600)} h`;
}

/** A local wall-clock time: `09:45:12`. */
function clock(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

/** A countdown for the progress line: `1:58`, `0:07`, `2:03:00`. */
function countdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/**
 * How messages number an attempt: 1-based, of how many there can be (`attempt 2 of 3`). The 0-based
 * `attempt` is `current.retryCount` and the attempt id of `stepflow logs --attempt`.
 */
function attemptLabel(attempt: number, maxAttempts: number | undefined): string {
  return maxAttempts === undefined ? `attempt ${attempt + 1}` : `attempt ${attempt + 1} of ${maxAttempts}`;
}

/**
 * A {@link Reporter} for the terminal.
 *
 * @example
 * ```ts
 * const reporter = new ConsoleReporter({ stdout: process.stdout, stderr: process.stderr });
 * ```
 */
export class ConsoleReporter implements Reporter {
  private readonly progress = new Map<string, string>();
  /** Tasks waiting for their next attempt: pathspec → what and when (for the TTY progress line). */
  private readonly waits = new Map<string, { label: string; at: number }>();
  private ticker: NodeJS.Timeout | undefined;
  private shown = false;
  private readonly tty: boolean;
  private readonly wide: WideSteps;
  private wideTicker: NodeJS.Timeout | undefined;
  /** `Flow/run` of the run's tasks (the scheduler's step progress names only the step). */
  private runPath: string | undefined;

  constructor(
    private readonly streams: ConsoleStreams,
    private readonly now: () => number = Date.now,
  ) {
    this.tty = streams.stdout.isTTY === true;
    this.wide = new WideSteps(now, (line) => this.out(line));
  }

  /** While a step is wide, its progress line is printed every few seconds even when no task changes. */
  private tickWide(): void {
    if (this.wideTicker || !this.wide.anyWide) return;
    this.wideTicker = setInterval(() => {
      this.wide.tick();
      if (!this.wide.anyWide && this.wideTicker) {
        clearInterval(this.wideTicker);
        this.wideTicker = undefined;
      }
    }, WIDE_PROGRESS_MS).unref();
  }

  /** Shows (on a TTY) that `pathspec` waits for its next attempt, counting down each second. */
  private addWait(pathspec: string, label: string, at: number): void {
    if (!this.tty) return;
    this.waits.set(pathspec, { label, at });
    this.ticker ??= setInterval(() => {
      this.clear();
      this.redraw();
    }, 1000).unref();
  }

  private removeWait(pathspec: string): void {
    this.waits.delete(pathspec);
    if (this.waits.size === 0 && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  /** The progress line: wide steps' counts and tasks waiting to retry. */
  private progressLine(): string {
    const waits = [...this.waits].map(
      ([pathspec, w]) => `${pathspec}: ${w.label} in ${countdown(w.at - this.now())}`,
    );
    return [...this.progress.values(), ...waits].join('  |  ');
  }

  private clear(): void {
    if (this.shown) this.streams.stdout.write('\r\x1b[K');
    this.shown = false;
  }

  private redraw(): void {
    if (!this.tty || (this.progress.size === 0 && this.waits.size === 0)) return;
    this.streams.stdout.write(this.progressLine());
    this.shown = true;
  }

  private out(text: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    this.clear();
    this.streams[stream].write(`${text}\n`);
    this.redraw();
  }

  taskStarted(event: { pathspec: string; attempt: number; maxAttempts?: number; launcher: string }): void {
    this.removeWait(event.pathspec);
    this.runPath ??= event.pathspec.split('/').slice(0, 2).join('/');
    if (this.wide.started(event.pathspec, event.attempt)) {
      this.tickWide();
      return;
    }
    const retry = event.attempt > 0 ? ` (${attemptLabel(event.attempt, event.maxAttempts)})` : '';
    const where = event.launcher !== 'local' ? ` on ${event.launcher}` : '';
    this.out(`[${event.pathspec}] started${retry}${where}`);
  }

  taskCloned(event: { pathspec: string; from: string }): void {
    this.runPath ??= event.pathspec.split('/').slice(0, 2).join('/');
    if (this.wide.cloned(event.pathspec)) return;
    this.out(`[${event.pathspec}] cloned from ${event.from}`);
  }

  /** False for the tasks of a wide step (their lines are not printed). */
  printsOutput(pathspec: string): boolean {
    return !this.wide.quiet(pathspec);
  }

  taskOutput(event: { pathspec: string; stream: 'stdout' | 'stderr'; line: string }): void {
    if (this.wide.quiet(event.pathspec)) return;
    this.out(`[${event.pathspec}] ${event.line}`, event.stream);
  }

  taskFinished(event: {
    pathspec: string;
    attempt: number;
    maxAttempts?: number;
    ok: boolean;
    elapsedMs: number;
    willRetry: boolean;
    retryInMs?: number;
    retryDelayFrom?: string;
    error?: { type: string; message: string };
    reason?: string;
  }): void {
    if (this.wide.finished(event.pathspec, event.ok, event.willRetry)) return;
    if (event.ok) {
      this.out(`[${event.pathspec}] finished in ${seconds(event.elapsedMs)}`);
      return;
    }
    const why = event.error
      ? `${event.error.type}: ${event.error.message}`
      : (event.reason ?? 'unknown error');
    const wait = event.retryInMs ?? 0;
    const next = !event.willRetry
      ? ''
      : wait <= 0
        ? ' — retrying now'
        : ` — retrying in ${formatWait(wait)}${event.retryDelayFrom ? ` (${event.retryDelayFrom})` : ''}, at ${clock(this.now() + wait)}`;
    const attempt = event.maxAttempts === 1 ? '' : ` (${attemptLabel(event.attempt, event.maxAttempts)})`;
    this.out(
      `[${event.pathspec}] failed after ${seconds(event.elapsedMs)}${attempt}: ${why}${next}`,
      'stderr',
    );
    if (event.willRetry && wait > 0) {
      this.addWait(event.pathspec, attemptLabel(event.attempt + 1, event.maxAttempts), this.now() + wait);
      this.clear();
      this.redraw();
    }
  }

  stepProgress(event: { step: string; done: number; running: number; total: number }): void {
    this.wide.total(event.step, this.runPath, event.total);
    if (!this.tty) return;
    if (event.done >= event.total) this.progress.delete(event.step);
    else
      this.progress.set(
        event.step,
        `${event.step}: ${event.done}/${event.total} done, ${event.running} running`,
      );
    this.clear();
    this.redraw();
  }

  notice(message: string): void {
    this.out(message, 'stderr');
  }

  runFinished(summary: RunSummary): void {
    this.wide.finish();
    if (this.wideTicker) clearInterval(this.wideTicker);
    this.wideTicker = undefined;
    this.progress.clear();
    for (const pathspec of [...this.waits.keys()]) this.removeWait(pathspec);
    const path = `${summary.flowName}/${summary.runId}`;
    const cloned = summary.tasksCloned > 0 ? ` (${summary.tasksCloned} cloned)` : '';
    const tasks = `${summary.tasksSucceeded} task(s) succeeded${cloned} in ${seconds(summary.elapsedMs)}`;
    if (summary.status === 'successful') {
      this.out(`Done! Run ${path} succeeded: ${tasks}.`);
    } else if (summary.status === 'interrupted') {
      this.out(
        `Run ${path} was interrupted and is marked failed; ${tasks}.${this.resumeHint('Resume it')}`,
        'stderr',
      );
    } else {
      this.out(
        `Run ${path} failed: ${summary.failedTasks.join(', ')} failed; ${tasks}.${this.resumeHint('Fix the problem, then resume the run')}`,
        'stderr',
      );
    }
  }

  private resumeHint(how: string): string {
    const command = this.streams.resumeCommand;
    return command ? `\n${how}: ${command}` : '';
  }
}
