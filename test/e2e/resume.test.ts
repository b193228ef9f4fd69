import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FLOWS, readRecord, runCli, runFlow, taskIds, type Workspace, workspace } from './helpers.js';

let ws: Workspace;
before(async () => {
  ws = await workspace();
});
after(async () => {
  await ws.cleanup();
});

/** Executed (not cloned) tasks of a run, by step. */
async function executed(runId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const step of ['start', 'work', 'join', 'end']) {
    let n = 0;
    for (const id of await taskIds(ws.root, 'ResumeFlow', runId, step).catch(() => [])) {
      const done = await readRecord<{ clonedFrom?: string }>(
        ws.root,
        'ResumeFlow',
        runId,
        step,
        id,
        '0.done.json',
      );
      if (!done.clonedFrom) n++;
    }
    counts[step] = n;
  }
  return counts;
}

describe('stepflow resume', () => {
  let origin: string;

  it('after one child of a 50-way foreach fails, re-executes exactly that child and the steps after it', async () => {
    // All children start at once (a failure stops new tasks from starting, as in Metaflow).
    const failed = await runFlow(ws, 'resume-flow.ts', ['--label', 'from-origin', '--max-workers', '50'], {
      env: { FAIL_INDEX: '17' },
    });
    assert.equal(failed.code, 1);
    origin = failed.runId;
    const before = await executed(origin);
    assert.equal(before.work, 50, 'all 50 children ran (49 succeeded)');
    const r = await runCli(['resume', join(FLOWS, 'resume-flow.ts'), '--datastore-root', ws.root], {
      cwd: ws.dir,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const runId = r.stdout.split('\n')[0].split('/')[1];
    assert.match(r.stdout, new RegExp(`Resuming ResumeFlow/${origin}`));
    assert.deepEqual(await executed(runId), { start: 0, work: 1, join: 1, end: 1 });
    assert.match(r.stdout, /total=2450 label=from-origin/, 'parameters come from the origin run');
    assert.match(r.stdout, new RegExp(`origin=${origin}`));
    assert.match(r.stdout, /cloned from ResumeFlow\//);
    const run = await readRecord<{ originRunId: string }>(ws.root, 'ResumeFlow', runId, '_meta', 'run.json');
    assert.equal(run.originRunId, origin);
  });

  it('resume <step> re-runs that step and everything after it', async () => {
    const r = await runCli(
      [
        'resume',
        join(FLOWS, 'resume-flow.ts'),
        'join',
        '--origin-run-id',
        origin,
        '--datastore-root',
        ws.root,
      ],
      { cwd: ws.dir },
    );
    // The origin's failed child has no successful task to clone, so it runs too.
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const runId = r.stdout.split('\n')[0].split('/')[1];
    assert.deepEqual(await executed(runId), { start: 0, work: 1, join: 1, end: 1 });
  });

  it('resume from start re-runs everything', async () => {
    const ok = await runFlow(ws, 'resume-flow.ts', ['--width', '3']);
    assert.equal(ok.code, 0);
    const r = await runCli(
      [
        'resume',
        join(FLOWS, 'resume-flow.ts'),
        'start',
        '--origin-run-id',
        ok.runId,
        '--datastore-root',
        ws.root,
      ],
      { cwd: ws.dir },
    );
    assert.equal(r.code, 0, r.stderr);
    const runId = r.stdout.split('\n')[0].split('/')[1];
    assert.deepEqual(await executed(runId), { start: 1, work: 3, join: 1, end: 1 });
  });

  it('refuses parameters, an unknown step and a missing origin run with one clear line', async () => {
    for (const [args, pattern] of [
      [['--label', 'x'], /resume takes the parameters of the origin run; remove --label/],
      [['nosuch', '--origin-run-id', origin], /no such step. Steps: start, work, join, end/],
      [['--origin-run-id', '123'], /Cannot resume ResumeFlow\/123: no such run/],
    ] as const) {
      const r = await runCli(
        ['resume', join(FLOWS, 'resume-flow.ts'), ...args, '--datastore-root', ws.root],
        {
          cwd: ws.dir,
        },
      );
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, pattern);
    }
  });
});
