/**
 * A foreach of `@batch` children as ONE AWS Batch array job with real containers (moto + dockerd, started
 * by `node scripts/test.mjs test/e2e/batch`): each child finds its task in the manifest by its index (moto
 * sets only `AWS_BATCH_JOB_ID=<parent>:<i>`) and has its own records; a failed child is retried alone as a
 * plain job. (Faults, Ctrl-C and resume: arrays-faults.batch.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BatchJobRecord } from '../../../src/plugins/batch/index.js';
import { batchEnv } from '../../support/batch.js';
import { type ArraysHarness, arraysHarness } from '../../support/batch-arrays.js';

let h: ArraysHarness;
before(async () => {
  h = await arraysHarness('e2e-arrays');
});
after(async () => {
  await h?.cleanup();
});

describe('@batch foreach as array jobs on the local AWS Batch stand-in', () => {
  it('a 50-way foreach is ONE array job; the child failing once is retried alone as a plain job', async (t) => {
    if (!batchEnv(t)) return;
    const r = await h.run('run', ['--width', '50', '--max-workers', '50'], { ARRAY_FAIL_ONCE: '7' });
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 0, out);
    assert.match(out, /joined 50 inputs, total 1225/);
    assert.match(out, /item 7 fails on its first attempt/);
    const byItem = await h.records(r.runId);
    assert.equal(byItem.size, 50);
    const parents = new Set([...byItem.values()].map((list) => list[0]?.arrayJobId));
    assert.equal(parents.size, 1, 'every first attempt is a child of one array job');
    const [parent] = parents;
    assert.ok(parent);
    const indexes = new Set<number>();
    for (const [item, list] of byItem) {
      const first = list[0] as BatchJobRecord;
      assert.equal(first.jobId, `${parent}:${first.index}`);
      assert.equal(first.status, item === 7 ? 'FAILED' : 'SUCCEEDED', `item ${item}`);
      indexes.add(first.index as number);
      assert.equal(list.length, item === 7 ? 2 : 1, `item ${item}: attempts`);
    }
    assert.equal(indexes.size, 50);
    const retried = byItem.get(7)?.[1];
    assert.equal(retried?.status, 'SUCCEEDED');
    assert.equal(retried?.arrayJobId, undefined, 'the retry is a plain job');
    assert.doesNotMatch(retried?.jobId ?? '', /:/);
    // 50 children in flight: progress lines instead of every child's lines (their state lines name the array
    // only when few tasks run), the failure with its pathspec as it happens.
    assert.match(out, /output of the 50 tasks of step work is not printed; see `stepflow logs /);
    assert.match(out, /\/work\] 50\/50 done/);
    assert.match(out, /\/work\/\d+\] failed after .* \(attempt 1 of 2\): Error: item 7 fails/);
  });
});
