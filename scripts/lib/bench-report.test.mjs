import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { finishRow, formatTable, num } from './bench-report.mjs';

describe('bench-report', () => {
  it('finishRow adds the ratio to the baseline and the target verdict', () => {
    const row = finishRow({
      metric: 'm',
      value: 30,
      unit: 'tasks/s',
      baseline: { label: 'b', value: 60 },
      target: { min: 15 },
    });
    assert.equal(row.ratio, 0.5);
    assert.equal(row.meetsTarget, true);
    assert.equal(finishRow({ metric: 'm', value: 10, unit: 'x', target: { min: 15 } }).meetsTarget, false);
    assert.throws(() => finishRow({ metric: 'm' }), /needs \{ metric: string, value: number/);
  });

  it('formatTable shows rows and failed benchmarks', () => {
    const table = formatTable([
      {
        name: 'a',
        rows: [
          finishRow({ metric: 'speed', value: 250, unit: 'MB/s', baseline: { label: 'fs', value: 500 } }),
        ],
      },
      { name: 'b', error: 'bin/stepflow.mjs not found\nmore', rows: [] },
    ]);
    assert.match(table, /a\s+speed\s+250 MB\/s\s+500 MB\/s \(fs\)\s+0\.50×/);
    assert.match(table, /b {2}✖ ERROR: bin\/stepflow.mjs not found$/m);
  });

  it('num keeps about three significant digits', () => {
    assert.equal(num(1234.5), '1235');
    assert.equal(num(12.345), '12.3');
    assert.equal(num(1.2345), '1.23');
  });
});
