import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { addSummaries, formatClosingLines, readTapSummary } from './tap-summary.mjs';

describe('tap-summary', () => {
  it('readTapSummary reads the closing counters of a TAP report', (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-summary-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'r.tap');
    fs.writeFileSync(
      file,
      'TAP version 13\nok 1 - a\n# Subtest: x\n1..1\n# tests 3\n# pass 2\n# fail 1\n# skipped 0\n',
    );
    assert.deepEqual(readTapSummary(file), { tests: 3, pass: 2, fail: 1, skipped: 0 });
    assert.equal(readTapSummary(path.join(dir, 'missing.tap')), undefined);
    fs.writeFileSync(file, 'TAP version 13\n');
    assert.equal(readTapSummary(file), undefined);
  });

  it('addSummaries and formatClosingLines: cancelled counts as failed, plain line last', () => {
    const total = addSummaries([
      { tests: 3, pass: 2, fail: 0, cancelled: 1, skipped: 0, duration_ms: 1.4 },
      { tests: 2, pass: 1, fail: 0, skipped: 1, todo: 0, duration_ms: 2.2 },
    ]);
    assert.equal(total.tests, 5);
    assert.equal(total.duration_ms, 4);
    const lines = formatClosingLines(total);
    assert.ok(lines.includes('# pass 3'));
    assert.ok(lines.includes('# fail 1'));
    assert.equal(lines.at(-1), 'tests: 3 passed, 1 failed, 1 skipped');
  });
});
