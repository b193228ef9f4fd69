/**
 * The local side carries a 10,000-way foreach (issue #14, point 7): the run's `work` step goes through the
 * no-op task stand-in (test/support/noop-task.ts; in-process, so the test measures the runtime and the
 * datastore, not 10,000 node processes), its join is a real task reading one artifact of each of the
 * 10,000 inputs; then `stepflow dump` and `stepflow logs` of the step (resume: wide-resume.test.ts, a file
 * of its own so each stays well within the per-test limit on a busy machine). Figures are in
 * `npm run bench -- wide`; this test only checks that it all ends, right.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runWide, type WideFigures } from '../support/wide-run.js';
import { runCli, type Workspace, workspace } from './helpers.js';

const WIDTH = 10_000;

describe(`a ${WIDTH.toLocaleString('en')}-way foreach on the local datastore`, () => {
  let ws: Workspace;
  let figures: WideFigures;

  before(async () => {
    ws = await workspace();
    figures = await runWide({ width: WIDTH, storage: { kind: 'local', root: ws.root }, resume: false });
  });
  after(async () => ws?.cleanup());

  it('runs to the end: the join sees every input, in order; the client lists every task', () => {
    assert.equal(figures.status, 'successful');
    assert.equal(figures.tasks, WIDTH + 3);
    assert.equal(figures.joinCount, WIDTH);
    assert.equal(figures.joinInOrder, true);
    assert.equal(figures.listed, WIDTH);
  });

  it('stepflow dump of the step lists every task, in task order, each with its item', async () => {
    // A table (names, types, sizes, previews): with --json every task would repeat the 10,000-item list it
    // inherits from `start` (1.2 GB), which says nothing more about the step's width.
    const r = await runCli(['dump', `WideFlow/${figures.runId}/work`, '--datastore-root', ws.root]);
    assert.equal(r.code, 0, r.stderr);
    const blocks = r.stdout.split('==> ').slice(1);
    assert.equal(blocks.length, WIDTH);
    const items = blocks.map((b) => Number(/^item\s.*\s(\d+)$/m.exec(b)?.[1]));
    assert.deepEqual(
      items,
      Array.from({ length: WIDTH }, (_, i) => i),
    );
  });

  it('stepflow logs of the step heads every task, in order', async () => {
    const r = await runCli(['logs', `WideFlow/${figures.runId}/work`, '--datastore-root', ws.root]);
    assert.equal(r.code, 0, r.stderr);
    const heads = r.stdout.split('\n').filter((l) => l.startsWith('==> '));
    assert.equal(heads.length, WIDTH);
    const ids = heads.map((h) => Number(h.split('/')[3].split(' ')[0]));
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );
  });
});
