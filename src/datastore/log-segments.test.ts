import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { logSegmentName, SegmentedLog } from './log-segments.js';

/** Feeds `chunks` to a log, saving after every `saveEvery` chunks; returns what was written. */
function simulate(chunks: Buffer[], saveEvery: number, segmentBytes = 1000, rewriteBytes = 100) {
  const log = new SegmentedLog(segmentBytes, rewriteBytes);
  const stored = new Map<number, Buffer>();
  let written = 0;
  let maxHeld = 0;
  const save = (fullOnly = false) => {
    for (const w of log.take(fullOnly)) {
      const body = Buffer.concat(w.body);
      assert.equal(body.byteLength, w.bytes);
      assert.ok(w.bytes <= segmentBytes, 'a segment never grows past its size');
      stored.set(w.index, body);
      written += w.bytes;
      maxHeld = Math.max(maxHeld, w.bytes);
    }
  };
  chunks.forEach((c, i) => {
    log.add(c);
    if ((i + 1) % saveEvery === 0) save();
    else if (log.pendingBytes >= segmentBytes) save(true);
  });
  save();
  const segments = [...stored.keys()].sort((a, b) => a - b);
  assert.deepEqual(segments, [...segments.keys()], 'segments are numbered 0..n-1 with no gap');
  assert.equal(log.segments, segments.length);
  return { stored: segments.map((n) => stored.get(n) as Buffer), written, maxHeld };
}

describe('log segments', () => {
  it('names segment 0 as the single log of earlier versions, and n > 0 with its number', () => {
    assert.equal(logSegmentName('stdout', 0), 'stdout.log');
    assert.equal(logSegmentName('stderr', 3), 'stderr.3.log');
  });

  it('a fast log is cut in full segments, each written once', () => {
    const chunks = Array.from({ length: 100 }, (_, i) => Buffer.alloc(97, 48 + (i % 10)));
    const { stored, written } = simulate(chunks, 1000);
    const all = Buffer.concat(chunks);
    assert.deepEqual(Buffer.concat(stored), all);
    assert.equal(written, all.byteLength, 'bytes written = bytes logged');
    assert.deepEqual(
      stored.map((s) => s.byteLength),
      [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 700],
    );
  });

  it('a slow log rewrites only a small open segment: bytes written stay O(log), not O(log²)', () => {
    const chunks = Array.from({ length: 2000 }, (_, i) => Buffer.from(`${String(i).padStart(5, '0')}\n`));
    const { stored, written } = simulate(chunks, 1); // a save after every 6-byte line
    const all = Buffer.concat(chunks);
    assert.deepEqual(Buffer.concat(stored), all);
    // Each save writes at most twice its new bytes plus the rewrite size (100).
    assert.ok(written <= 2 * all.byteLength + 100 * chunks.length, `${written}`);
    // Whole rewrites would have written sum(1..n) lines: about n²/2 × 6 bytes.
    assert.ok(written < all.byteLength * 20, `${written} bytes for ${all.byteLength}`);
    for (const s of stored.slice(0, -1))
      assert.ok(s.byteLength > 100, 'a closed segment holds more than the rewrite size');
  });

  it('new bytes fill the open segment before a new one starts', () => {
    const log = new SegmentedLog(1000, 100);
    log.add(Buffer.alloc(50));
    assert.deepEqual(
      log.take().map((w) => [w.index, w.bytes, w.start]),
      [[0, 50, 0]],
    );
    log.add(Buffer.alloc(2000));
    assert.deepEqual(
      log.take().map((w) => [w.index, w.bytes, w.start]),
      [
        [0, 1000, 0],
        [1, 1000, 1000],
        [2, 50, 2000],
      ],
    );
    assert.equal(log.total, 2050);
  });
});
