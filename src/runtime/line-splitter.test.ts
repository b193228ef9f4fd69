import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineSplitter } from './line-splitter.js';

function split(...chunks: Array<string | Buffer>): string[] {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l));
  for (const c of chunks) s.push(c);
  s.end();
  return lines;
}

describe('line-splitter', () => {
  it('complete lines come out at once, a partial line waits for the rest', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push('a\nb');
    assert.deepEqual(lines, ['a']);
    s.push('c\n');
    assert.deepEqual(lines, ['a', 'bc']);
    s.push('tail');
    s.end();
    assert.deepEqual(lines, ['a', 'bc', 'tail']);
    s.end();
    assert.equal(lines.length, 3);
  });

  it('CRLF, empty lines, buffers and no trailing newline', () => {
    assert.deepEqual(split('x\r\ny\r\n'), ['x', 'y']);
    assert.deepEqual(split('\n\nz\n'), ['', '', 'z']);
    assert.deepEqual(split(Buffer.from('p\nq')), ['p', 'q']);
    assert.deepEqual(split(''), []);
    assert.deepEqual(split('a\r', '\nb'), ['a', 'b']);
  });

  it('a multi-byte character split across chunks is kept whole', () => {
    const bytes = Buffer.from('héllo ✓\n');
    const cut = bytes.indexOf(0xe2) + 1;
    assert.deepEqual(split(bytes.subarray(0, cut), bytes.subarray(cut)), ['héllo ✓']);
  });
});
