import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResolvedDecorator } from '../decorators/contract.js';
import { registerStepDecorator } from '../decorators/registry.js';
import { makeGraph, setup, steps } from './scheduler-fakes.test.js';

registerStepDecorator<{ times?: number }>({
  name: 'fakeRetry',
  optionNames: ['times'],
  parseOptions: (raw) => raw,
  retryCount: ({ options }) => ({ user: options.times ?? 2, error: 0 }),
});
registerStepDecorator<{ seconds?: number }>({
  name: 'fakeTimeout',
  optionNames: ['seconds'],
  parseOptions: (raw) => raw,
  attemptTimeout: ({ options }) => ({ seconds: options.seconds ?? 0.05, source: '@fakeTimeout' }),
});

const use = (name: string, options: Record<string, unknown> = {}): ResolvedDecorator => ({
  name,
  options,
  source: 'static',
});

const foreachGraph = makeGraph({
  start: { next: ['body'], foreach: 'xs' },
  body: { next: ['join'] },
  join: { next: ['end'], join: 'start' },
  end: {},
});
const index = (s: { task: { foreachStack: ReadonlyArray<{ index: number }> } }) =>
  s.task.foreachStack.at(-1)?.index;

describe('scheduler-failures', () => {
  it('a failure (fake launcher) stops scheduling new tasks; the run fails and lists the task', async () => {
    const { scheduler, launcher, finished } = setup(foreachGraph, {
      count: () => 4,
      behave: (s) => ({ fail: s.task.stepName === 'body' && index(s) === 1 }),
      scheduler: { maxWorkers: 1 },
    });
    const summary = await scheduler.run();
    assert.equal(summary.status, 'failed');
    assert.deepEqual(summary.failedTasks, ['F/1/body/3']);
    assert.deepEqual([summary.tasksFailed, summary.tasksSucceeded], [1, 2]);
    assert.deepEqual(steps(launcher.launched), ['start/1', 'body/2', 'body/3']);
    const failed = finished.find((f) => !f.ok);
    assert.deepEqual(
      [failed?.pathspec, failed?.willRetry, failed?.error?.message],
      ['F/1/body/3', false, 'boom 3'],
    );
  });

  it('after a failure (fake launcher) running tasks finish, and nothing follows them', async () => {
    const { scheduler, launcher, finished } = setup(foreachGraph, {
      count: () => 3,
      behave: (s) => (index(s) === 0 ? { fail: true } : { delayMs: 20 }),
    });
    const summary = await scheduler.run();
    assert.equal(summary.status, 'failed');
    assert.deepEqual(steps(launcher.launched), ['start/1', 'body/2', 'body/3', 'body/4']);
    assert.deepEqual(launcher.killed, []);
    assert.deepEqual(finished.map((f) => [f.pathspec, f.ok]).sort(), [
      ['F/1/body/2', false],
      ['F/1/body/3', true],
      ['F/1/body/4', true],
      ['F/1/start/1', true],
    ]);
  });

  it('retries (fake launcher): attempts follow attemptPlan, with the same task id', async () => {
    const graph = makeGraph({ start: { next: ['a'] }, a: { next: ['end'] }, end: {} });
    const { scheduler, launcher, finished, tasks } = setup(graph, {
      behave: (s) => ({ fail: s.task.stepName === 'a' && s.task.attempt < 2 }),
      scheduler: { decorators: new Map([['a', [use('fakeRetry')]]]) },
    });
    const summary = await scheduler.run();
    assert.equal(summary.status, 'successful');
    assert.equal(summary.attempts, 5);
    assert.deepEqual(
      tasks('a').map((t) => [t.taskId, t.attempt, t.maxAttempts]),
      [
        ['2', 0, 3],
        ['2', 1, 3],
        ['2', 2, 3],
      ],
    );
    assert.deepEqual(tasks('a')[0].decorators, [use('fakeRetry')]);
    assert.deepEqual(
      finished.filter((f) => f.pathspec === 'F/1/a/2').map((f) => [f.attempt, f.ok, f.willRetry]),
      [
        [0, false, true],
        [1, false, true],
        [2, true, false],
      ],
    );
    assert.deepEqual(steps(launcher.launched).at(-1), 'end/3');
  });

  it('retries (fake launcher): when every attempt fails the task fails after the last one', async () => {
    const graph = makeGraph({ start: { next: ['end'] }, end: {} });
    const { scheduler, tasks } = setup(graph, {
      behave: () => ({ fail: true }),
      scheduler: { decorators: new Map([['start', [use('fakeRetry', { times: 1 })]]]) },
    });
    const summary = await scheduler.run();
    assert.equal(summary.status, 'failed');
    assert.deepEqual(summary.failedTasks, ['F/1/start/1']);
    assert.deepEqual(
      tasks('start').map((t) => t.attempt),
      [0, 1],
    );
    assert.equal(tasks('end').length, 0);
  });

  it('interrupt (fake launcher) kills running tasks, schedules nothing more, ends interrupted', async () => {
    const graph = makeGraph({
      start: { next: ['a', 'b'] },
      a: { next: ['join'] },
      b: { next: ['join'] },
      join: { next: ['end'], join: 'start' },
      end: {},
    });
    const { scheduler, launcher, events, fds } = setup(graph, {
      behave: (s) => ({ hang: s.task.stepName !== 'start' }),
    });
    const running = scheduler.run();
    while (launcher.running < 2) await sleep(2);
    await scheduler.interrupt('Ctrl-C');
    const summary = await running;
    assert.equal(summary.status, 'interrupted');
    assert.deepEqual(summary.failedTasks, []);
    assert.deepEqual(launcher.killed, [
      ['F/1/a/2', 'Ctrl-C'],
      ['F/1/b/3', 'Ctrl-C'],
    ]);
    assert.deepEqual(steps(launcher.launched), ['start/1', 'a/2', 'b/3']);
    assert.ok(events.includes('notice Stopping 2 running task(s): Ctrl-C'));
    const done = await fds.task('1', 'a', '2').readDone(0);
    assert.deepEqual(
      [done?.ok, done?.killed, done?.error?.type, done?.error?.message],
      [false, true, 'TaskKilledError', 'Ctrl-C'],
    );
  });

  it('timeout (fake launcher): the attempt is killed and gets a TimeoutError done record', async () => {
    const graph = makeGraph({ start: { next: ['end'] }, end: {} });
    const { scheduler, launcher, finished, fds } = setup(graph, {
      behave: () => ({ hang: true }),
      scheduler: { decorators: new Map([['start', [use('fakeTimeout')]]]) },
    });
    const summary = await scheduler.run();
    assert.equal(summary.status, 'failed');
    assert.deepEqual(summary.failedTasks, ['F/1/start/1']);
    assert.equal(launcher.killed.length, 1);
    assert.match(launcher.killed[0][1], /^timed out after 0\.05s \(the limit set by @fakeTimeout\)$/);
    const done = await fds.task('1', 'start', '1').readDone(0);
    assert.equal(done?.ok, false);
    assert.equal(done?.killed, true);
    assert.equal(done?.error?.type, 'TimeoutError');
    assert.match(done?.error?.message ?? '', /timed out after 0\.05s/);
    assert.match(finished[0].reason ?? '', /timed out/);
  });

  it('timeout then retry (fake launcher): the next attempt runs and can see the killed one', async () => {
    const graph = makeGraph({ start: { next: ['end'] }, end: {} });
    const { scheduler, fds, tasks } = setup(graph, {
      behave: (s) => ({ hang: s.task.stepName === 'start' && s.task.attempt === 0 }),
      scheduler: { decorators: new Map([['start', [use('fakeTimeout'), use('fakeRetry', { times: 1 })]]]) },
    });
    const summary = await scheduler.run();
    assert.equal(summary.status, 'successful');
    assert.deepEqual(
      tasks('start').map((t) => t.attempt),
      [0, 1],
    );
    const td = fds.task('1', 'start', '1');
    assert.equal((await td.readDone(0))?.error?.type, 'TimeoutError');
    assert.equal((await td.readDone(1))?.ok, true);
  });

  it('a task that ends without a done record (fake launcher) fails, and the runtime records why', async () => {
    const graph = makeGraph({ start: { next: ['end'] }, end: {} });
    const { scheduler, finished, fds } = setup(graph, { behave: () => ({ crash: true }) });
    const summary = await scheduler.run();
    assert.equal(summary.status, 'failed');
    const reason = 'the task process ended (exit code 137) without recording a result';
    assert.equal(finished[0].reason, reason);
    const done = await fds.task('1', 'start', '1').readDone(0);
    assert.deepEqual(
      [done?.ok, done?.killed, done?.error?.type, done?.error?.message],
      [false, true, 'TaskDiedError', reason],
    );
  });

  it("a launcher's explanation of a failure (fake launcher) is the task's failure reason and its record", async () => {
    const graph = makeGraph({ start: { next: ['end'] }, end: {} });
    const failure = 'F/1/start/1: job j-1 ran out of memory: the step asked for 512 MiB';
    const { scheduler, finished, fds } = setup(graph, { behave: () => ({ crash: true, failure }) });
    const summary = await scheduler.run();
    assert.equal(summary.status, 'failed');
    assert.equal(finished[0].reason, failure);
    const done = await fds.task('1', 'start', '1').readDone(0);
    assert.deepEqual([done?.error?.type, done?.error?.message], ['TaskDiedError', failure]);
  });

  it('a join the static checks should refuse fails the run with a clear error, never a TypeError', async () => {
    // A foreach straight into its join (check's foreach-into-join): the split task is inside no foreach.
    const graph = makeGraph({
      start: { next: ['join'], foreach: 'xs' },
      join: { next: ['end'], join: 'start' },
      end: {},
    });
    const { scheduler, events } = setup(graph, { count: () => 2 });
    const summary = await scheduler.run();
    assert.equal(summary.status, 'failed');
    assert.deepEqual(summary.failedTasks, ['F/1/start/1']);
    const notice = events.find((e) => e.startsWith('notice '));
    assert.match(
      notice ?? '',
      /F\/1\/start\/1 cannot be joined at join: it is not inside the foreach of start/,
    );
    assert.doesNotMatch(events.join('\n'), /Cannot read properties/);
  });
});
