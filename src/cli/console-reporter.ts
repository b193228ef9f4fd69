/**
 * Renders a run's events on the terminal: each task starting and finishing with its pathspec, task output
 * prefixed with it, failures with their message, a live progress line for wide foreach steps when stdout
 * is a terminal, and a final summary.
 *
 * @module
 */
import type { Reporter, RunSummary } from '../runtime/reporter.js';

/** Where the reporter writes. */
export interface ConsoleStreams {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
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
  private shown = false;
  private readonly tty: boolean;

  constructor(private readonly streams: ConsoleStreams) {
    this.tty = streams.stdout.isTTY === true;
  }

  private clear(): void {
    if (this.shown) this.streams.stdout.write('\r\x1b[K');
    this.shown = false;
  }

  private redraw(): void {
    if (!this.tty || this.progress.size === 0) return;
    this.streams.stdout.write([...this.progress.values()].join('  |  '));
    this.shown = true;
  }

  private out(text: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    this.clear();
    this.streams[stream].write(`${text}\n`);
    this.redraw();
  }

  taskStarted(event: { pathspec: string; attempt: number; launcher: string }): void {
    const retry = event.attempt > 0 ? ` (retry ${event.attempt})` : '';
    const where = event.launcher !== 'local' ? ` on ${event.launcher}` : '';
    this.out(`[${event.pathspec}] started${retry}${where}`);
  }

  taskCloned(event: { pathspec: string; from: string }): void {
    this.out(`[${event.pathspec}] cloned from ${event.from}`);
  }

  taskOutput(event: { pathspec: string; stream: 'stdout' | 'stderr'; line: string }): void {
    this.out(`[${event.pathspec}] ${event.line}`, event.stream);
  }

  taskFinished(event: {
    pathspec: string;
    attempt: number;
    ok: boolean;
    elapsedMs: number;
    willRetry: boolean;
    error?: { type: string; message: string };
    reason?: string;
  }): void {
    if (event.ok) {
      this.out(`[${event.pathspec}] finished in ${seconds(event.elapsedMs)}`);
      return;
    }
    const why = event.error
      ? `${event.error.type}: ${event.error.message}`
      : (event.reason ?? 'unknown error');
    const next = event.willRetry ? ' — retrying' : '';
    this.out(
      `[${event.pathspec}] failed after ${seconds(event.elapsedMs)} (attempt ${event.attempt + 1}): ${why}${next}`,
      'stderr',
    );
  }

  stepProgress(event: { step: string; done: number; running: number; total: number }): void {
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
    this.progress.clear();
    const path = `${summary.flowName}/${summary.runId}`;
    const cloned = summary.tasksCloned > 0 ? ` (${summary.tasksCloned} cloned)` : '';
    const tasks = `${summary.tasksSucceeded} task(s) succeeded${cloned} in ${seconds(summary.elapsedMs)}`;
    if (summary.status === 'successful') {
      this.out(`Done! Run ${path} succeeded: ${tasks}.`);
    } else if (summary.status === 'interrupted') {
      this.out(`Run ${path} was interrupted and is marked failed; ${tasks}.`, 'stderr');
    } else {
      this.out(`Run ${path} failed: ${summary.failedTasks.join(', ')} failed; ${tasks}.`, 'stderr');
    }
  }
}
