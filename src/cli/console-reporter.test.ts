import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { RunSummary } from '../runtime/reporter.js';
import { ConsoleReporter, formatWait } from './console-reporter.js';

/** A stream that records what is written; `isTTY` as asked. */
function sink(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  }) as Writable & { isTTY?: boolean };
  if (isTTY) stream.isTTY = true;
  return { stream, chunks, text: () => chunks.join('') };
}

function reporter(isTTY: boolean, now: () => number = Date.now) {
  const stdout = sink(isTTY);
  const stderr = sink(false);
  return { stdout, stderr, r: new ConsoleReporter({ stdout: stdout.stream, stderr: stderr.stream }, now) };
}

const summary = (extra: Partial<RunSummary>): RunSummary => ({
  flowName: 'F',
  runId: '7',
  status: 'successful',
  tasksSucceeded: 3,
  tasksCloned: 0,
  tasksFailed: 0,
  attempts: 3,
  elapsedMs: 1234,
  failedTasks: [],
  ...extra,
});

describe('console-reporter', () => {
  it('non-TTY: one line per event, failures and notices on stderr, no progress line', () => {
    const { stdout, stderr, r } = reporter(false);
    r.taskStarted({ pathspec: 'F/7/start/1', attempt: 0, launcher: 'local' });
    r.taskStarted({ pathspec: 'F/7/train/2', attempt: 2, launcher: 'batch' });
    r.taskOutput({ pathspec: 'F/7/train/2', stream: 'stdout', line: 'epoch 1' });
    r.taskOutput({ pathspec: 'F/7/train/2', stream: 'stderr', line: 'warning!' });
    r.stepProgress({ step: 'train', done: 1, running: 2, total: 30 });
    r.taskFinished({ pathspec: 'F/7/start/1', attempt: 0, ok: true, elapsedMs: 250, willRetry: false });
    r.taskFinished({
      pathspec: 'F/7/train/2',
      attempt: 2,
      ok: false,
      elapsedMs: 12_345,
      willRetry: true,
      error: { type: 'ValueError', message: 'bad' },
    });
    r.taskFinished({
      pathspec: 'F/7/train/3',
      attempt: 0,
      ok: false,
      elapsedMs: 10,
      willRetry: false,
      reason: 'timed out',
    });
    r.taskFinished({ pathspec: 'F/7/train/4', attempt: 0, ok: false, elapsedMs: 10, willRetry: false });
    r.taskCloned({ pathspec: 'F/7/start/1', from: 'F/6/start/1' });
    r.notice('Stopping 1 running task(s)');
    assert.deepEqual(stdout.text().split('\n'), [
      '[F/7/start/1] started',
      '[F/7/train/2] started (attempt 3) on batch',
      '[F/7/train/2] epoch 1',
      '[F/7/start/1] finished in 0.25s',
      '[F/7/start/1] cloned from F/6/start/1',
      '',
    ]);
    assert.deepEqual(stderr.text().split('\n'), [
      '[F/7/train/2] warning!',
      '[F/7/train/2] failed after 12.3s (attempt 3): ValueError: bad — retrying now',
      '[F/7/train/3] failed after 0.01s (attempt 1): timed out',
      '[F/7/train/4] failed after 0.01s (attempt 1): unknown error',
      'Stopping 1 running task(s)',
      '',
    ]);
    assert.ok(!stdout.text().includes('\x1b') && !stdout.text().includes('\r'));
  });

  it('the run summary: succeeded, failed, interrupted', () => {
    const ok = reporter(false);
    ok.r.runFinished(summary({ tasksCloned: 2 }));
    assert.equal(ok.stdout.text(), 'Done! Run F/7 succeeded: 3 task(s) succeeded (2 cloned) in 1.23s.\n');
    const failed = reporter(false);
    failed.r.runFinished(
      summary({ status: 'failed', failedTasks: ['F/7/a/2', 'F/7/b/3'], tasksSucceeded: 1 }),
    );
    assert.equal(
      failed.stderr.text(),
      'Run F/7 failed: F/7/a/2, F/7/b/3 failed; 1 task(s) succeeded in 1.23s.\n',
    );
    assert.equal(failed.stdout.text(), '');
    const stopped = reporter(false);
    stopped.r.runFinished(summary({ status: 'interrupted' }));
    assert.match(
      stopped.stderr.text(),
      /^Run F\/7 was interrupted and is marked failed; 3 task\(s\) succeeded/,
    );
  });

  it('TTY: a progress line for wide steps, cleared before other output and redrawn after', () => {
    const { stdout, stderr, r } = reporter(true);
    const CLEAR = '\r\x1b[K';
    r.stepProgress({ step: 'train', done: 0, running: 4, total: 30 });
    assert.deepEqual(stdout.chunks, ['train: 0/30 done, 4 running']);
    r.stepProgress({ step: 'score', done: 2, running: 1, total: 25 });
    assert.deepEqual(stdout.chunks.slice(1), [
      CLEAR,
      'train: 0/30 done, 4 running  |  score: 2/25 done, 1 running',
    ]);
    stdout.chunks.length = 0;
    r.taskStarted({ pathspec: 'F/7/train/9', attempt: 0, launcher: 'local' });
    assert.deepEqual(stdout.chunks, [
      CLEAR,
      '[F/7/train/9] started\n',
      'train: 0/30 done, 4 running  |  score: 2/25 done, 1 running',
    ]);
    stdout.chunks.length = 0;
    r.notice('careful');
    assert.deepEqual(stdout.chunks, [CLEAR, 'train: 0/30 done, 4 running  |  score: 2/25 done, 1 running']);
    assert.equal(stderr.text(), 'careful\n');
    stdout.chunks.length = 0;
    // A finished step drops out of the line; when none is left the line is gone.
    r.stepProgress({ step: 'train', done: 30, running: 0, total: 30 });
    assert.deepEqual(stdout.chunks, [CLEAR, 'score: 2/25 done, 1 running']);
    stdout.chunks.length = 0;
    r.stepProgress({ step: 'score', done: 25, running: 0, total: 25 });
    assert.deepEqual(stdout.chunks, [CLEAR]);
    stdout.chunks.length = 0;
    r.taskStarted({ pathspec: 'F/7/end/40', attempt: 0, launcher: 'local' });
    assert.deepEqual(stdout.chunks, ['[F/7/end/40] started\n']);
  });

  it('TTY: the summary clears the progress line and does not redraw it', () => {
    const { stdout, r } = reporter(true);
    r.stepProgress({ step: 'train', done: 3, running: 1, total: 30 });
    r.runFinished(summary({}));
    assert.deepEqual(stdout.chunks, [
      'train: 3/30 done, 1 running',
      '\r\x1b[K',
      'Done! Run F/7 succeeded: 3 task(s) succeeded in 1.23s.\n',
    ]);
  });

  it('a retry says when the next attempt starts and why; attempts are numbered "n of max" everywhere', () => {
    const t0 = new Date(2026, 0, 1, 9, 43, 12).getTime();
    const { stdout, stderr, r } = reporter(false, () => t0);
    r.taskStarted({ pathspec: 'F/7/train/2', attempt: 0, maxAttempts: 3, launcher: 'local' });
    r.taskFinished({
      pathspec: 'F/7/train/2',
      attempt: 0,
      maxAttempts: 3,
      ok: false,
      elapsedMs: 240,
      willRetry: true,
      retryInMs: 120_000,
      retryDelayFrom: '@retry(minutesBetweenRetries: 2)',
      error: { type: 'Error', message: 'boom' },
    });
    r.taskStarted({ pathspec: 'F/7/train/2', attempt: 1, maxAttempts: 3, launcher: 'local' });
    r.taskFinished({
      pathspec: 'F/7/end/3',
      attempt: 0,
      maxAttempts: 1,
      ok: false,
      elapsedMs: 10,
      willRetry: false,
    });
    assert.deepEqual(stdout.text().split('\n'), [
      '[F/7/train/2] started',
      '[F/7/train/2] started (attempt 2 of 3)',
      '',
    ]);
    assert.deepEqual(stderr.text().split('\n'), [
      '[F/7/train/2] failed after 0.24s (attempt 1 of 3): Error: boom — retrying in 2 min ' +
        '(@retry(minutesBetweenRetries: 2)), at 09:45:12',
      '[F/7/end/3] failed after 0.01s: unknown error',
      '',
    ]);
  });

  it('TTY: a task waiting to retry shows on the progress line until its next attempt starts', () => {
    let now = 1_000_000;
    const { stdout, r } = reporter(true, () => now);
    r.taskFinished({
      pathspec: 'F/7/train/2',
      attempt: 0,
      maxAttempts: 3,
      ok: false,
      elapsedMs: 240,
      willRetry: true,
      retryInMs: 90_000,
      error: { type: 'Error', message: 'boom' },
    });
    assert.equal(stdout.chunks.at(-1), 'F/7/train/2: attempt 2 of 3 in 1:30');
    now += 83_000;
    r.notice('tick');
    assert.equal(stdout.chunks.at(-1), 'F/7/train/2: attempt 2 of 3 in 0:07');
    stdout.chunks.length = 0;
    r.taskStarted({ pathspec: 'F/7/train/2', attempt: 1, maxAttempts: 3, launcher: 'local' });
    assert.deepEqual(stdout.chunks, ['\r\x1b[K', '[F/7/train/2] started (attempt 2 of 3)\n']);
  });

  it('formatWait: seconds, minutes, hours as people say them', () => {
    assert.equal(formatWait(30_000), '30 s');
    assert.equal(formatWait(120_000), '2 min');
    assert.equal(formatWait(90_000), '1.5 min');
    assert.equal(formatWait(3 * 3_600_000), '3 h');
  });

  it('a failed or interrupted run says how to resume it', () => {
    const stderr = sink(false);
    const r = new ConsoleReporter({
      stdout: sink(false).stream,
      stderr: stderr.stream,
      resumeCommand: 'stepflow resume flow.ts',
    });
    r.runFinished(summary({ status: 'failed', failedTasks: ['F/7/a/2'] }));
    r.runFinished(summary({ status: 'interrupted' }));
    assert.match(
      stderr.text(),
      /failed; 3 task\(s\) succeeded in 1\.23s\.\nFix the problem, then resume the run: stepflow resume flow\.ts\n/,
    );
    assert.match(stderr.text(), /marked failed; .*\nResume it: stepflow resume flow\.ts\n$/);
  });

  it('a wide step (over 20 tasks in flight): progress lines at most every 5 s and at its end, failures as they happen, no task lines', () => {
    let t = 0;
    const { stdout, stderr, r } = reporter(false, () => t);
    r.taskStarted({ pathspec: 'F/7/start/1', attempt: 0, launcher: 'local' });
    r.taskFinished({ pathspec: 'F/7/start/1', attempt: 0, ok: true, elapsedMs: 5, willRetry: false });
    r.stepProgress({ step: 'train', done: 0, running: 0, total: 30 });
    for (let i = 0; i < 30; i++)
      r.taskStarted({ pathspec: `F/7/train/${i + 2}`, attempt: 0, launcher: 'batch' });
    r.taskOutput({ pathspec: 'F/7/train/3', stream: 'stdout', line: 'a line of a wide step' });
    // Launchers are told: a wide step's lines are not printed (so a remote one need not fetch them).
    assert.equal(r.printsOutput('F/7/train/3'), false);
    assert.equal(r.printsOutput('F/7/start/1'), true);
    t = 1000;
    r.taskFinished({ pathspec: 'F/7/train/2', attempt: 0, ok: true, elapsedMs: 5, willRetry: false });
    r.taskFinished({
      pathspec: 'F/7/train/3',
      attempt: 0,
      maxAttempts: 2,
      ok: false,
      elapsedMs: 7,
      willRetry: true,
      reason: 'out of memory',
    });
    t = 6000;
    r.taskStarted({ pathspec: 'F/7/train/3', attempt: 1, maxAttempts: 2, launcher: 'batch' });
    for (let i = 4; i < 32; i++) {
      r.taskFinished({ pathspec: `F/7/train/${i}`, attempt: 0, ok: true, elapsedMs: 5, willRetry: false });
    }
    t = 7000;
    r.taskFinished({
      pathspec: 'F/7/train/3',
      attempt: 1,
      maxAttempts: 2,
      ok: false,
      elapsedMs: 7,
      willRetry: false,
      error: { type: 'Error', message: 'boom' },
    });
    const out = stdout.text().split('\n');
    const started = out.filter((l) => l.startsWith('[F/7/train/') && l.endsWith('started on batch'));
    assert.equal(started.length, 20, 'the first 20 starts, as before; then none');
    assert.ok(!out.some((l) => l.includes('a line of a wide step')));
    assert.ok(!out.some((l) => l.startsWith('[F/7/train/') && l.includes('finished in')));
    assert.deepEqual(
      out.filter((l) => l.startsWith('[F/7/train]') || l.startsWith('output of')),
      [
        'output of the 30 tasks of step train is not printed; see `stepflow logs F/7/train`',
        '[F/7/train] 0/30 done: 9 queued, 21 running, 0 done, 0 failed, 0 retrying',
        '[F/7/train] 1/30 done: 0 queued, 29 running, 1 done, 0 failed, 0 retrying',
        '[F/7/train] 29/30 done: 0 queued, 0 running, 29 done, 1 failed, 0 retrying',
      ],
      'one at the start, one 5 s later, one at the end of the step',
    );
    assert.deepEqual(stderr.text().split('\n'), [
      '[F/7/train/3] failed after 0.01s (attempt 1 of 2): out of memory — retrying now',
      '[F/7/train/3] failed after 0.01s (attempt 2 of 2): Error: boom',
      '',
    ]);
  });

  it('a step with at most 20 tasks in flight prints every task line, as before', () => {
    const { stdout, r } = reporter(false);
    r.stepProgress({ step: 'train', done: 0, running: 0, total: 40 });
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 20; i++) {
        const pathspec = `F/7/train/${round * 20 + i + 2}`;
        r.taskStarted({ pathspec, attempt: 0, launcher: 'local' });
        r.taskOutput({ pathspec, stream: 'stdout', line: 'hi' });
      }
      for (let i = 0; i < 20; i++) {
        const pathspec = `F/7/train/${round * 20 + i + 2}`;
        r.taskFinished({ pathspec, attempt: 0, ok: true, elapsedMs: 5, willRetry: false });
      }
    }
    const out = stdout.text().split('\n');
    assert.equal(out.filter((l) => l.endsWith('started')).length, 40);
    assert.equal(out.filter((l) => l.endsWith('] hi')).length, 40);
    assert.equal(out.filter((l) => l.includes('finished in')).length, 40);
    assert.ok(!out.some((l) => l.includes('not printed') || l.startsWith('[F/7/train]')));
  });
});
