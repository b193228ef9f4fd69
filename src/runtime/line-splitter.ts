/**
 * Splits a byte stream into lines, keeping a partial last line until more arrives.
 *
 * @module
 */

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

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer | string): void {
    const text = this.rest + chunk.toString();
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  end(): void {
    if (this.rest !== '') this.onLine(this.rest);
    this.rest = '';
  }
}
