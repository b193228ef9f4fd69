import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Flow, namespace, setDatastore } from '../../src/client/index.js';
import { FlowDatastore } from '../../src/datastore/flow-datastore.js';
import { LocalStorage } from '../../src/datastore/local-storage.js';
import type { TaskSpec } from '../../src/decorators/contract.js';
import { Scheduler } from '../../src/runtime/scheduler.js';
import { makeGraph } from '../../src/runtime/scheduler-fakes.test.js';
import { makeInputs } from '../../src/task/inputs.js';
import { openAttempt } from '../../src/task/prepare-task.js';
import { NoopLauncher } from './noop-task.js';

const graph = makeGraph({
  start: { next: ['work'], foreach: 'items' },
  work: { next: ['join'] },
  join: { next: ['end'], join: 'start' },
  end: {},
});

describe('no-op task stand-in (NoopLauncher)', () => {
  let root: string;
  let launcher: NoopLauncher;
  let status: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'stepflow-noop-'));
    const storage = new LocalStorage(root);
    const fds = new FlowDatastore(storage, 'F');
    const parameters = await fds.saveArtifacts({ alpha: 0.5 });
    const startedAt = new Date().toISOString();
    await fds.writeRun({ flowName: 'F', runId: '1', user: 'u', tags: [], startedAt, graph, parameters });
    const params = fds.parametersTask('1');
    await params.writeAttemptStart({ attempt: 0, startedAt, inputs: [], foreachStack: [] });
    await params.writeData(0, parameters);
    await params.writeDone(0, { attempt: 0, ok: true, endedAt: startedAt });
    launcher = new NoopLauncher({
      graph,
      storage,
      concurrency: 2,
      remote: true,
      artifacts: (spec: TaskSpec) => (spec.stepName === 'start' ? { items: ['a', 'b', 'c'] } : {}),
    });
    const summary = await new Scheduler({
      flowName: 'F',
      runId: '1',
      graph,
      datastore: fds,
      storage: { kind: 'local', root },
      codePackage: { sha: 'sha', bundlePath: '/nowhere/bundle.mjs' },
      decorators: new Map(),
      maxWorkers: 8,
      maxNumSplits: 100,
      defaultLauncher: launcher,
      reporter: {},
    }).run();
    status = summary.status;
    setDatastore({ kind: 'local', root });
    namespace(null);
  });

  after(async () => {
    setDatastore(undefined);
    await rm(root, { recursive: true, force: true });
  });

  it('runs the whole run, at most `concurrency` tasks at once', () => {
    assert.equal(status, 'successful');
    assert.equal(launcher.launched, 6);
    assert.equal(launcher.peak, 2);
  });

  it('reads back through the client like a real run: tasks, artifacts, foreach index, logs', async () => {
    const run = await new Flow('F').run('1');
    const work = await (await run.step('work')).tasks();
    assert.deepEqual(
      work.map((t) => [t.index, t.successful, t.inputs]),
      [
        [0, true, ['F/1/start/1']],
        [1, true, ['F/1/start/1']],
        [2, true, ['F/1/start/1']],
      ],
    );
    assert.deepEqual(await work[1].data(), { alpha: 0.5, items: ['a', 'b', 'c'], input: 'b' });
    assert.equal(await work[1].stdout(), '');
    assert.deepEqual(await work[1].logWarnings(), []);
    const end = await (await run.step('end')).task();
    assert.equal(end.successful, true);
    assert.deepEqual(await end.data(), { alpha: 0.5 });
  });

  it('gives the join its inputs in split order, as a task reads them', async () => {
    const join = await (await (await new Flow('F').run('1')).step('join')).task();
    const spec: TaskSpec = {
      flowName: 'F',
      runId: '1',
      stepName: 'join',
      taskId: join.id,
      attempt: 1,
      maxAttempts: 2,
      errorRetries: 0,
      inputs: join.inputs.map((p) => p.split('/').slice(2).join('/')),
      foreachStack: [],
      storage: { kind: 'local', root },
      maxNumSplits: 100,
      decorators: [],
    };
    const opened = await openAttempt(spec);
    const inputs = makeInputs(opened.inputs, (ref) => opened.fds.loadArtifactSync(ref), false);
    assert.deepEqual(
      inputs.map((i) => (i as { input: string }).input),
      ['a', 'b', 'c'],
    );
  });
});
