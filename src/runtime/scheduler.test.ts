import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeGraph, setup, steps } from './scheduler-fakes.test.js';

describe('scheduler', () => {
  it('linear flow (fake launcher): one task per step, in order, each reading the previous one', async () => {
    const graph = makeGraph({ start: { next: ['a'] }, a: { next: ['end'] }, end: {} });
    const { scheduler, launcher, events, fds } = setup(graph);
    const summary = await scheduler.run();
    assert.equal(summary.status, 'successful');
    assert.deepEqual([summary.tasksSucceeded, summary.tasksFailed, summary.attempts], [3, 0, 3]);
    assert.deepEqual(summary.failedTasks, []);
    assert.deepEqual(steps(launcher.launched), ['start/1', 'a/2', 'end/3']);
    assert.deepEqual(
      launcher.launched.map((l) => l.task.inputs),
      [['_parameters/0'], ['start/1'], ['a/2']],
    );
    const first = launcher.launched[0];
    assert.equal(first.pathspec, 'F/1/start/1');
    assert.deepEqual([first.task.attempt, first.task.maxAttempts, first.task.maxNumSplits], [0, 1, 100]);
    assert.deepEqual([first.codePackage, first.bundlePath], ['sha', '/nowhere/bundle.mjs']);
    assert.ok(events.includes('start F/1/a/2 0 fake'));
    assert.ok(events.includes('out F/1/a/2 hello from a/2'));
    assert.equal((await fds.task('1', 'a', '2').readLog(0, 'stdout'))?.toString(), 'hello from a/2\n');
  });

  it('a launched task that stores its own logs (storesOwnLogs) is printed but its logs are not overwritten', async () => {
    const graph = makeGraph({ start: { next: ['a'] }, a: {} });
    const { fds, scheduler, events } = setup(graph, { behave: () => ({ ownLogs: true }) });
    await scheduler.run();
    assert.ok(events.includes('out F/1/a/2 hello from a/2'), 'printed');
    assert.equal((await fds.task('1', 'a', '2').readLog(0, 'stdout'))?.toString(), 'own\n');
  });

  it("a launch spec's outputPrinted asks the reporter's printsOutput about its task (printed without one)", async () => {
    const graph = makeGraph({ start: { next: ['a'] }, a: {} });
    const quiet = new Set(['F/1/a/2']);
    const { scheduler, launcher } = setup(graph, {
      scheduler: { reporter: { printsOutput: (pathspec) => !quiet.has(pathspec) } },
    });
    await scheduler.run();
    assert.deepEqual(
      launcher.launched.map((l) => l.outputPrinted?.()),
      [true, false],
    );
    const plain = setup(graph);
    await plain.scheduler.run();
    assert.deepEqual(
      plain.launcher.launched.map((l) => l.outputPrinted?.() ?? true),
      [true, true],
    );
  });

  it('branch (fake launcher): both branches run; the join gets inputs in in-step order', async () => {
    const graph = makeGraph({
      start: { next: ['a', 'b'] },
      a: { next: ['join'] },
      b: { next: ['join'] },
      join: { next: ['end'], join: 'start' },
      end: {},
    });
    // b finishes long before a.
    const { scheduler, launcher, tasks } = setup(graph, {
      behave: (s) => ({ delayMs: s.task.stepName === 'a' ? 30 : 1 }),
    });
    assert.equal((await scheduler.run()).status, 'successful');
    assert.deepEqual(steps(launcher.launched), ['start/1', 'a/2', 'b/3', 'join/4', 'end/5']);
    assert.deepEqual(tasks('join')[0].inputs, ['a/2', 'b/3']);
    assert.deepEqual(tasks('end')[0].inputs, ['join/4']);
  });

  it('foreach (fake launcher): one task per item with its frame; the join keeps the split order', async () => {
    const graph = makeGraph({
      start: { next: ['body'], foreach: 'xs' },
      body: { next: ['join'] },
      join: { next: ['end'], join: 'start' },
      end: {},
    });
    // Later items finish first.
    const { scheduler, tasks } = setup(graph, {
      count: () => 4,
      behave: (s) => ({ delayMs: 2 + 8 * (4 - (s.task.foreachStack.at(-1)?.index ?? 0)) }),
    });
    assert.equal((await scheduler.run()).status, 'successful');
    const bodies = tasks('body');
    assert.deepEqual(
      bodies.map((b) => b.foreachStack),
      [0, 1, 2, 3].map((index) => [{ step: 'start', taskId: '1', field: 'xs', index, count: 4 }]),
    );
    assert.deepEqual(
      bodies.map((b) => b.inputs),
      [['start/1'], ['start/1'], ['start/1'], ['start/1']],
    );
    const join = tasks('join')[0];
    assert.deepEqual(join.inputs, ['body/2', 'body/3', 'body/4', 'body/5']);
    assert.deepEqual(join.foreachStack, []);
    assert.deepEqual(tasks('end')[0].foreachStack, []);
  });

  it('nested foreach (fake launcher): inner joins group by outer item; stacks nest and unwind', async () => {
    const graph = makeGraph({
      start: { next: ['outer'], foreach: 'a' },
      outer: { next: ['inner'], foreach: 'b' },
      inner: { next: ['innerJoin'] },
      innerJoin: { next: ['outerJoin'], join: 'outer' },
      outerJoin: { next: ['end'], join: 'start' },
      end: {},
    });
    const { scheduler, tasks } = setup(graph, {
      count: (s) => (s.task.stepName === 'start' ? 2 : 3),
      // Scramble completion order.
      behave: (s) => ({ delayMs: 1 + ((Number(s.task.taskId) * 7) % 5) * 4 }),
      scheduler: { maxWorkers: 3 },
    });
    assert.equal((await scheduler.run()).status, 'successful');
    const outers = tasks('outer');
    assert.equal(outers.length, 2);
    const inners = tasks('inner');
    assert.equal(inners.length, 6);
    for (const inner of inners) {
      const [top, bottom] = inner.foreachStack;
      assert.equal(inner.foreachStack.length, 2);
      assert.deepEqual(
        [top.step, top.field, top.count, bottom.step, bottom.field, bottom.count],
        ['start', 'a', 2, 'outer', 'b', 3],
      );
      const parent = outers.find((o) => o.taskId === bottom.taskId);
      assert.deepEqual(parent?.foreachStack, [top]);
      assert.deepEqual(inner.inputs, [`outer/${parent?.taskId}`]);
    }
    const innerJoins = tasks('innerJoin');
    assert.equal(innerJoins.length, 2);
    for (const join of innerJoins) {
      assert.equal(join.foreachStack.length, 1);
      const outerTask = outers[join.foreachStack[0].index];
      const mine = inners.filter((i) => i.foreachStack[1].taskId === outerTask.taskId);
      const byIndex = [...mine].sort((x, y) => x.foreachStack[1].index - y.foreachStack[1].index);
      assert.deepEqual(
        join.inputs,
        byIndex.map((i) => `inner/${i.taskId}`),
      );
    }
    const outerJoin = tasks('outerJoin')[0];
    const joinsByIndex = [...innerJoins].sort((x, y) => x.foreachStack[0].index - y.foreachStack[0].index);
    assert.deepEqual(
      outerJoin.inputs,
      joinsByIndex.map((j) => `innerJoin/${j.taskId}`),
    );
    assert.deepEqual(outerJoin.foreachStack, []);
    assert.equal(tasks('end').length, 1);
  });

  it('maxWorkers (fake launcher): never more tasks at once than allowed, and the bound is used', async () => {
    const graph = makeGraph({
      start: { next: ['body'], foreach: 'xs' },
      body: { next: ['join'] },
      join: { next: ['end'], join: 'start' },
      end: {},
    });
    for (const maxWorkers of [1, 3]) {
      const { scheduler, launcher } = setup(graph, {
        count: () => 10,
        behave: () => ({ delayMs: 3 }),
        scheduler: { maxWorkers },
      });
      const summary = await scheduler.run();
      assert.equal(summary.status, 'successful');
      assert.equal(summary.tasksSucceeded, 13);
      assert.equal(launcher.maxRunning, maxWorkers);
    }
  });
});
