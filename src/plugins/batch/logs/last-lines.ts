/**
 * The last lines a task printed, kept while they pass through to the runtime: a failure of the step's code
 * is worded with them ("exited with code 3; its last lines: ..."). The launcher's own `[@batch] ...` lines
 * are not the task's and are left out.
 *
 * @module
 */
import { PassThrough, type TransformCallback } from 'node:stream';

/**
 * How many lines a {@link TailedStream} keeps by default.
 *
 * @example
 * ```ts
 * new TailedStream(TAIL_LINES);
 * ```
 */
export const TAIL_LINES = 20;

const OWN_LINE = /^\[@batch\] /;

/**
 * A pass-through stream that remembers the last {@link TAIL_LINES} complete lines written to it (a partial
 * last line counts once the stream ends).
 *
 * @example
 * ```ts
 * const stderr = new TailedStream();
 * stderr.write('Traceback\nboom\n');
 * stderr.lines(); // ['Traceback', 'boom']
 * ```
 */
export class TailedStream extends PassThrough {
  private readonly kept: string[] = [];
  private partial = '';

  constructor(private readonly max: number = TAIL_LINES) {
    super();
  }

  override _transform(chunk: Buffer | string, encoding: BufferEncoding, callback: TransformCallback): void {
    const text = this.partial + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.keep(line);
    super._transform(chunk, encoding, callback);
  }

  override _flush(callback: TransformCallback): void {
    if (this.partial) this.keep(this.partial);
    this.partial = '';
    callback();
  }

  private keep(line: string): void {
    const clean = line.replace(/\r$/, '');
    if (OWN_LINE.test(clean)) return;
    this.kept.push(clean);
    if (this.kept.length > this.max) this.kept.shift();
  }

  /** The last lines seen (oldest first), the partial last line included. */
  lines(): string[] {
    const all = this.partial && !OWN_LINE.test(this.partial) ? [...this.kept, this.partial] : [...this.kept];
    return all.slice(-this.max);
  }
}
