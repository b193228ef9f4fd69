import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  artifactsOf,
  FLOWS,
  readRecord,
  runCli,
  runFlow,
  taskIds,
  type Workspace,
  workspace,
} from './helpers.js';

let ws: Workspace;

function throwLine(): number {
  const lines = readFileSync(join(FLOWS, 'failing-flow.ts'), 'utf8').split('\n');
  return lines.findIndex((l) => l.includes('throw new RangeError')) + 1;
}
before(async () => {
  ws = await workspace();
});
after(async () => {
  await ws.cleanup();
});

describe('stepflow run: failures', () => {
  it('a failing step fails the run, says which task, and maps the stack to the .ts source', async () => {
    const r = await runFlow(ws, 'failing-flow.ts');
    assert.equal(r.code, 1);
    assert.match(r.stdout.split('\n')[0], /^FailingFlow\/\d+$/, 'the run id is printed even when it fails');
    const out = r.stdout + r.stderr;
    assert.match(
      out,
      /\[FailingFlow\/\d+\/bad\/\d+\] failed after .*RangeError: the bad step failed on purpose/,
    );
    const line = throwLine();
    assert.match(out, new RegExp(`at throwDeep \\(.*failing-flow\\.ts:${line}:\\d+\\)`));
    assert.match(out, /Run FailingFlow\/\d+ failed: FailingFlow\/\d+\/bad\/\d+ failed/);
    assert.doesNotMatch(out, /\/join\/\d+\] started/, 'nothing after the failure is scheduled');
    const status = await readRecord<{ status: string; failedTasks: string[] }>(
      ws.root,
      'FailingFlow',
      r.runId,
      '_meta',
      'status.json',
    );
    assert.equal(status.status, 'failed');
    assert.equal(status.failedTasks.length, 1);
    const [bad] = await taskIds(ws.root, 'FailingFlow', r.runId, 'bad');
    const done = await readRecord<{ ok: boolean; error: { type: string; stack: string } }>(
      ws.root,
      'FailingFlow',
      r.runId,
      'bad',
      bad,
      '0.done.json',
    );
    assert.equal(done.ok, false);
    assert.equal(done.error.type, 'RangeError');
    assert.match(done.error.stack, new RegExp(`failing-flow\\.ts:${line}`));
    const a = await artifactsOf(ws.root, 'FailingFlow', r.runId, 'bad', bad);
    assert.equal(a.before, 'kept', 'artifacts set before the throw are stored with the failed attempt');
  });

  for (const [mode, pattern] of [
    ['function', /Artifact "thing" cannot be stored: .*function/],
    ['class', /Artifact "thing" cannot be stored: thing\.inner\[0\] is an instance of class Model/],
    ['reserved', /"input": this name is reserved by stepflow/],
    ['parameter', /"mode" is a parameter, and parameters are read-only/],
  ] as const) {
    it(`fails the task with a clear error for a bad artifact: ${mode}`, async () => {
      const r = await runFlow(ws, 'bad-artifacts-flow.ts', ['--mode', mode]);
      assert.equal(r.code, 1);
      assert.match(r.stdout + r.stderr, pattern);
    });
  }
});

describe('stepflow: bad input gets one clear line before anything runs', () => {
  for (const [name, args, pattern] of [
    ['missing flow file', ['run', 'nope/missing-flow.ts'], /flow file .*missing-flow\.ts does not exist/],
    ['no FlowSpec subclass', ['run', join(FLOWS, 'not-a-flow.ts')], /no class extends FlowSpec/],
    [
      'several flows, no default',
      ['run', join(FLOWS, 'two-flows.ts')],
      /FirstFlow.*SecondFlow|SecondFlow.*FirstFlow/,
    ],
    ['unknown option', ['run', join(FLOWS, 'linear-flow.ts'), '--bogus', '1'], /Unknown option --bogus/],
    [
      'unknown --with decorator',
      ['run', join(FLOWS, 'linear-flow.ts'), '--with', 'nosuch'],
      /unknown decorator "nosuch"/,
    ],
    ['missing file for check', ['check', 'nope.ts'], /does not exist/],
    ['unknown command', ['frobnicate'], /unknown command/],
  ] as const) {
    it(name, async () => {
      const extra = args[0] === 'run' ? ['--datastore-root', ws.root] : [];
      const r = await runCli([...args, ...extra], { cwd: ws.dir });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stdout, /started/);
    });
  }

  it('--flow picks one class of a file with several', async () => {
    const r = await runCli(
      ['run', join(FLOWS, 'two-flows.ts'), '--flow', 'SecondFlow', '--datastore-root', ws.root],
      {
        cwd: ws.dir,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^SecondFlow\//);
  });
});
