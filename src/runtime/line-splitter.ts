/**
 * Splits a byte stream into lines, keeping a partial last line until more arrives.
 *
 * @module
 */
import { StringDecoder } from 'node:string_decoder';

/**
 * Calls `onLine` for every complete line pushed, and for the rest at {@link LineSplitter.end}.
 *
 * @example
 * ```ts
 * const s = new LineSplitter((line) => console.log(line));
 * s.push(Buffer.from('a\nb')); s.end(); // logs "a" then "b"
 * ```
 */
export class LineSplitter {
  private rest = '';
  /** Keeps a UTF-8 character cut between two chunks until its last bytes arrive. */
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer | string): void {
    const text = this.rest + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  end(): void {
    this.rest += this.decoder.end();
    if (this.rest !== '') this.onLine(this.rest);
    this.rest = '';
  }
}
