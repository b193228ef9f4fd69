import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cycleFigures, lastLines } from './batch-wide.mjs';

describe('batch-wide figures', () => {
  it('groups tracking calls into poll cycles and puts 1 + ⌈changed/100⌉ beside each', () => {
    const calls = [
      { at: 100, action: 'SubmitJob' },
      { at: 1000, action: 'DescribeJobs' },
      { at: 1010, action: 'ListJobs' },
      { at: 1020, action: 'DescribeJobs' },
      { at: 2000, action: 'DescribeJobs' },
      { at: 9000, action: 'DescribeJobs' }, // after the window
    ];
    const changes = [
      ...Array.from({ length: 150 }, (_, i) => ({ at: 200, jobId: `p:${i}`, status: 'RUNNABLE' })),
      ...Array.from({ length: 150 }, (_, i) => ({ at: 500, jobId: `p:${i}`, status: 'RUNNING' })),
      ...Array.from({ length: 150 }, (_, i) => ({ at: 600, jobId: `p:${i}`, status: 'SUCCEEDED' })),
      { at: 1500, jobId: 'p:0', status: 'FAILED' },
    ];
    const f = cycleFigures(calls, changes, 1000, { from: 0, to: 5000 });
    assert.deepEqual(f, {
      count: 2,
      max: 3,
      mean: 2,
      boundMax: 3,
      boundMean: 2.5,
      above: 0,
      total: 4,
      boundTotal: 2 + Math.ceil(151 / 100),
    });
    const tight = cycleFigures(calls, [], 1000, { from: 0, to: 5000 });
    assert.equal(tight.above, 1, 'three calls when nothing changed is above 1 + 0');
    assert.equal(cycleFigures([], [], 1000, { from: 0, to: 1 }).count, 0);
  });

  it('lastLines keeps the last non-empty lines', () => {
    assert.equal(lastLines('a\n\nb\nc\n', 2), 'b\nc');
  });
});
