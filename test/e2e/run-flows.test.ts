import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { artifactsOf, readRecord, runFlow, stepsOf, taskIds, type Workspace, workspace } from './helpers.js';

let ws: Workspace;
before(async () => {
  ws = await workspace();
});
after(async () => {
  await ws.cleanup();
});

describe('stepflow run: flow shapes', () => {
  it('runs a linear flow; artifacts of many types flow through and are stored', async () => {
    const r = await runFlow(ws, 'linear-flow.ts');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.split('\n')[0], /^LinearFlow\/\d+$/);
    assert.match(r.stdout, /\[LinearFlow\/\d+\/start\/1\] started/);
    assert.match(r.stdout, /\[LinearFlow\/\d+\/start\/1\] finished in/);
    assert.match(r.stdout, new RegExp(`start LinearFlow ${r.runId} start 1 0`));
    assert.match(r.stdout, /end counter=2 table=a,b undefinedRead=undefined/);
    assert.match(r.stdout, /Done! Run LinearFlow\/\d+ succeeded: 3 task\(s\)/);
    const temp = /tempdir (\S+)/.exec(r.stdout)?.[1];
    assert.ok(temp && !existsSync(temp), 'the per-task temp dir is removed after the task');
    const [endTask] = await taskIds(ws.root, 'LinearFlow', r.runId, 'end');
    const a = await artifactsOf(ws.root, 'LinearFlow', r.runId, 'end', endTask);
    assert.equal(a.counter, 2);
    assert.deepEqual(
      a.table,
      new Map([
        ['a', 1],
        ['b', 2],
      ]),
    );
    assert.deepEqual(a.tags, new Set(['x', 'y']));
    assert.equal(a.big, 2n ** 70n);
    assert.deepEqual(a.when, new Date('2026-01-02T03:04:05Z'));
    assert.deepEqual(a.floats, new Float64Array([1.5, 2.5]));
    const nested = a.nested as { a: number[]; self: unknown };
    assert.equal(nested.self, nested, 'cycles survive');
    assert.equal((a.seen as string[]).length, 2);
    const status = await readRecord<{ status: string }>(
      ws.root,
      'LinearFlow',
      r.runId,
      '_meta',
      'status.json',
    );
    assert.equal(status.status, 'successful');
  });

  it('runs a branch and its join; inputs by step name; mergeArtifacts', async () => {
    const r = await runFlow(ws, 'branch-flow.ts');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /total=3 shared=same onlyA=a-only both=0/);
    assert.deepEqual(await stepsOf(ws.root, 'BranchFlow', r.runId), ['a', 'b', 'end', 'join', 'start']);
    const [join] = await taskIds(ws.root, 'BranchFlow', r.runId, 'join');
    const a = await artifactsOf(ws.root, 'BranchFlow', r.runId, 'join', join);
    assert.equal(a.viaName, 20);
    assert.deepEqual(a.order, ['10', '20'], 'inputs keep the order of the branch');
    assert.equal(a.fromA, 1);
    assert.equal(a.fromB, 2);
  });

  it('runs a foreach; children see input and index; the join keeps the order', async () => {
    const r = await runFlow(ws, 'foreach-flow.ts', ['--width', '7']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /collected=item-0,item-1,item-2,item-3,item-4,item-5,item-6/);
    assert.equal((await taskIds(ws.root, 'ForeachFlow', r.runId, 'work')).length, 7);
    const [join] = await taskIds(ws.root, 'ForeachFlow', r.runId, 'join');
    const a = await artifactsOf(ws.root, 'ForeachFlow', r.runId, 'join', join);
    assert.deepEqual(a.positions, [0, 1, 2, 3, 4, 5, 6]);
  });

  it('runs a nested foreach with the right stack at each level', async () => {
    const r = await runFlow(ws, 'nested-foreach-flow.ts');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /groups=\[\["0:1","0:2","0:3"\],\["1:1","1:2","1:3"\]\]/);
    assert.equal((await taskIds(ws.root, 'NestedForeachFlow', r.runId, 'per_inner')).length, 6);
    const inner = await taskIds(ws.root, 'NestedForeachFlow', r.runId, 'per_inner');
    const a = await artifactsOf(ws.root, 'NestedForeachFlow', r.runId, 'per_inner', inner[0]);
    assert.match(a.stack as string, /^start\[\d\/2\] per_outer\[\d\/3\]$/);
  });

  it('refuses a foreach wider than --max-num-splits', async () => {
    const r = await runFlow(ws, 'foreach-flow.ts', ['--width', '12', '--max-num-splits', '10']);
    assert.equal(r.code, 1);
    assert.match(r.stdout + r.stderr, /12 items, more than --max-num-splits 10/);
  });

  it('writes the run id to --run-id-file and accepts options after parameters', async () => {
    const file = `${ws.dir}/run-id`;
    const r = await runFlow(ws, 'foreach-flow.ts', [
      '--width',
      '2',
      '--run-id-file',
      file,
      '--max-workers',
      '1',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { readFile } = await import('node:fs/promises');
    assert.equal(await readFile(file, 'utf8'), r.runId);
  });
});
