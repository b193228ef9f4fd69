import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { artifactsOf, readRecord, runFlow, taskIds, type Workspace, workspace } from './helpers.js';

let ws: Workspace;
before(async () => {
  ws = await workspace();
});
after(async () => {
  await ws.cleanup();
});

interface DoneRecord {
  readonly ok: boolean;
  readonly killed?: boolean;
  readonly error?: { type: string; message: string };
}

async function onlyTask(flow: string, runId: string, step: string): Promise<string> {
  const ids = await taskIds(ws.root, flow, runId, step);
  assert.equal(ids.length, 1, `${step} has one task`);
  return ids[0];
}

function done(flow: string, runId: string, step: string, task: string, attempt: number): Promise<DoneRecord> {
  return readRecord<DoneRecord>(ws.root, flow, runId, step, task, `${attempt}.done.json`);
}

describe('built-in step decorators', () => {
  it('@retry: a step failing on its first attempt succeeds on the second', async () => {
    const r = await runFlow(ws, 'retry-flow.ts');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = r.stdout + r.stderr;
    assert.match(out, /flaky attempt 0/);
    assert.match(out, /first attempt fails on purpose/);
    assert.match(out, /flaky attempt 1/);
    const task = await onlyTask('RetryFlow', r.runId, 'flaky');
    const dir = join(ws.root, 'RetryFlow', r.runId, 'flaky', task);
    for (const attempt of [0, 1]) {
      assert.ok(existsSync(join(dir, `${attempt}.attempt.json`)), `attempt ${attempt} was recorded`);
    }
    assert.ok(!existsSync(join(dir, '2.attempt.json')), 'no third attempt');
    assert.equal((await done('RetryFlow', r.runId, 'flaky', task, 0)).ok, false);
    assert.equal((await done('RetryFlow', r.runId, 'flaky', task, 1)).ok, true);
    const attempt0 = await readRecord<{ extra: { decorators: Array<{ name: string; options: unknown }> } }>(
      ws.root,
      'RetryFlow',
      r.runId,
      'flaky',
      task,
      '0.attempt.json',
    );
    assert.deepEqual(attempt0.extra.decorators[0], {
      name: 'retry',
      options: { times: 2, minutesBetweenRetries: 0 },
      source: 'static',
    });
    assert.equal((await artifactsOf(ws.root, 'RetryFlow', r.runId, 'flaky', task)).attempts, 2);
  });

  it('--with retry:times=1,minutes_between_retries=0 retries a step without @retry', async () => {
    const failing = await runFlow(ws, 'flaky-flow.ts');
    assert.equal(failing.code, 1, 'without --with retry the run fails');
    const r = await runFlow(ws, 'flaky-flow.ts', ['--with', 'retry:times=1,minutes_between_retries=0']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const task = await onlyTask('FlakyFlow', r.runId, 'start');
    assert.equal((await artifactsOf(ws.root, 'FlakyFlow', r.runId, 'start', task)).attempt, 1);
  });

  it('@timeout stops a busy step, says it timed out naming the limit, and @retry retries it', async () => {
    const r = await runFlow(ws, 'timeout-flow.ts', ['--with', 'retry:times=1,minutes_between_retries=0']);
    assert.equal(r.code, 1, 'the run fails once the retry timed out too');
    const out = r.stdout + r.stderr;
    assert.match(out, /timed out after 1s \(the limit set by @timeout\(seconds=1\)\)/);
    assert.match(
      out,
      /\(attempt 1 of \d\): timed out after 1s .* — retrying/,
      'the timed-out attempt is retried',
    );
    assert.match(out, /\(attempt 2 of \d\): timed out after 1s/);
    const task = await onlyTask('TimeoutFlow', r.runId, 'start');
    for (const attempt of [0, 1]) {
      const record = await done('TimeoutFlow', r.runId, 'start', task, attempt);
      assert.equal(record.ok, false);
      assert.equal(record.killed, true);
      assert.equal(record.error?.type, 'TimeoutError');
    }
  });

  it('@catchError after a timeout: the fallback attempt stores a TimeoutError and the run continues', async () => {
    const r = await runFlow(ws, 'catch-flow.ts', ['--mode', 'hang']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = r.stdout + r.stderr;
    assert.match(
      out,
      /@catchError caught step CatchFlow\.risky: its attempt 1 of 2 was stopped; the flow continues/,
    );
    assert.match(out, /end sees: caught TimeoutError/);
    const task = await onlyTask('CatchFlow', r.runId, 'risky');
    const a = await artifactsOf(ws.root, 'CatchFlow', r.runId, 'risky', task);
    const failure = a.failure as { type: string; message: string };
    assert.equal(failure.type, 'TimeoutError');
    assert.match(failure.message, /timed out after 1s/);
    assert.equal(a.before, 'from start', "the fallback continues with its inputs' artifacts");
  });

  it('@catchError stores the exception, keeps artifacts set before the throw, and the flow continues', async () => {
    const r = await runFlow(ws, 'catch-flow.ts', ['--mode', 'throw']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = r.stdout + r.stderr;
    assert.match(
      out,
      /@catchError caught an exception in step CatchFlow\.risky \(attempt 1 of \d\); the flow continues/,
    );
    assert.match(out, /TypeError: risky failed on purpose/);
    assert.match(out, /end sees: caught TypeError/);
    const task = await onlyTask('CatchFlow', r.runId, 'risky');
    assert.ok(!existsSync(join(ws.root, 'CatchFlow', r.runId, 'risky', task, '1.attempt.json')));
    const a = await artifactsOf(ws.root, 'CatchFlow', r.runId, 'risky', task);
    const failure = a.failure as { type: string; message: string; stack: string };
    assert.equal(failure.type, 'TypeError');
    assert.equal(failure.message, 'risky failed on purpose');
    assert.match(failure.stack, /catch-flow\.ts:\d+/, 'the stack points at the .ts source');
    assert.equal(a.before, 'set before the failure');
  });

  it('@catchError: the artifact is null when the step succeeds', async () => {
    const r = await runFlow(ws, 'catch-flow.ts');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /end sees: no failure/);
    const task = await onlyTask('CatchFlow', r.runId, 'risky');
    assert.equal((await artifactsOf(ws.root, 'CatchFlow', r.runId, 'risky', task)).failure, null);
  });

  it('@environment and --with environment:vars=... reach the step', async () => {
    const r = await runFlow(ws, 'env-flow.ts', ['--with', 'environment:vars={"A":"1"}']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /end A=1/);
    const start = await onlyTask('EnvFlow', r.runId, 'start');
    const end = await onlyTask('EnvFlow', r.runId, 'end');
    const s = await artifactsOf(ws.root, 'EnvFlow', r.runId, 'start', start);
    assert.equal(s.greeting, 'hi');
    assert.equal((await artifactsOf(ws.root, 'EnvFlow', r.runId, 'end', end)).fromWith, '1');
  });

  it('an unknown --with option lists the valid ones, before the run starts', async () => {
    const r = await runFlow(ws, 'flaky-flow.ts', ['--with', 'retry:tiems=1']);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stdout + r.stderr,
      /@retry on step FlakyFlow\.start: unknown option "tiems"\. Did you mean "times"\? Valid options: times, minutesBetweenRetries\./,
    );
    assert.doesNotMatch(r.stdout, /started/);
  });

  it('a bad option value from --with names the option and the range', async () => {
    const r = await runFlow(ws, 'flaky-flow.ts', ['--with', 'retry:times=9']);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /option "times" must be a whole number from 0 to 5 \(got 9\)/);
  });

  // Needs the runtime to call checkAttemptCap (src/plugins/attempt-cap.ts) before the run starts.
  it('more than 6 attempts per task is an error before the run starts', async () => {
    const r = await runFlow(ws, 'flaky-flow.ts', [
      '--with',
      'retry:times=5,minutes_between_retries=0',
      '--with',
      'catch_error',
    ]);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stdout + r.stderr,
      /Step FlakyFlow\.start asks for 7 attempts \(@retry times=5 \+ @catchError\), more than the maximum of 6; lower @retry\(times\)\./,
    );
    assert.doesNotMatch(r.stdout, /started/);
  });
});
