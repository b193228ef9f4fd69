import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskLauncher } from '../decorators/contract.js';
import { registerStepDecorator } from '../decorators/registry.js';
import { DEFAULT_LOCAL_WORKERS } from './scheduler.js';
import { FakeLauncher, makeGraph, setup } from './scheduler-fakes.test.js';

const graph = makeGraph({
  start: { next: ['body'], foreach: 'xs' },
  body: { next: ['join'] },
  join: { next: ['end'], join: 'start' },
  end: {},
});

/** The most `body` attempts in flight at once, with the default launcher local or remote. */
async function peakInFlight(
  remote: boolean,
  scheduler: { maxWorkers?: number; maxLocalWorkers?: number; maxRemoteWorkers?: number },
): Promise<number> {
  const run = setup(graph, {
    count: () => 40,
    behave: () => ({ delayMs: 3 }),
    scheduler: { maxWorkers: undefined, ...scheduler },
  });
  Object.assign(run.launcher, { remote });
  const summary = await run.scheduler.run();
  assert.equal(summary.status, 'successful');
  assert.equal(summary.tasksSucceeded, 43);
  return run.launcher.maxRunning;
}

describe('scheduler: attempts in flight (--max-workers, local and remote caps)', () => {
  it('without --max-workers: local attempts are capped at 16, remote ones at the remote cap (default 10,000)', async () => {
    assert.equal(await peakInFlight(false, {}), DEFAULT_LOCAL_WORKERS);
    assert.equal(await peakInFlight(true, {}), 40);
    assert.equal(await peakInFlight(true, { maxRemoteWorkers: 25 }), 25);
    assert.equal(await peakInFlight(false, { maxLocalWorkers: 5, maxRemoteWorkers: 25 }), 5);
  });

  it('an explicit --max-workers caps every attempt, remote ones too, also above the local default', async () => {
    assert.equal(await peakInFlight(true, { maxWorkers: 7 }), 7);
    assert.equal(await peakInFlight(false, { maxWorkers: 30 }), 30);
  });

  it('the launcher is chosen before the slot: a remote step is not held back by a full local cap', async () => {
    const run = setup(graph, {
      count: () => 12,
      behave: (spec) => ({ delayMs: spec.task.stepName === 'start' ? 30 : 3 }),
      scheduler: { maxWorkers: undefined, maxLocalWorkers: 1, decorators: new Map([['body', [remoteUse]]]) },
    });
    const remote = Object.assign(new FakeLauncher(run.fds, graph), { remote: true }) as FakeLauncher &
      TaskLauncher;
    launchers.set(run.launcher, remote);
    current = run.launcher;
    const summary = await run.scheduler.run();
    assert.equal(summary.status, 'successful');
    assert.equal(run.launcher.maxRunning, 1, 'local steps: one at a time');
    assert.equal(remote.launched.length, 12);
    assert.equal(remote.maxRunning, 12, 'every remote child in flight at once');
  });
});

const launchers = new Map<FakeLauncher, TaskLauncher>();
let current: FakeLauncher | undefined;
registerStepDecorator({
  name: 'fakeRemote',
  optionNames: [],
  parseOptions: () => ({}),
  launcher: () => (current ? launchers.get(current) : undefined),
});
const remoteUse = { name: 'fakeRemote', options: {}, source: 'static' as const };
