/**
 * Resume of a 10,000-way foreach on the local datastore (issue #14, point 7): the run of wide.test.ts
 * (its `work` step through the no-op task stand-in, a real join), resumed: every task is cloned, the clones
 * running 64 at a time outside `--max-workers`' local cap, and the resumed run's join reads the same inputs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FlowDatastore } from '../../src/datastore/flow-datastore.js';
import { LocalStorage } from '../../src/datastore/local-storage.js';
import { runWide, type WideFigures } from '../support/wide-run.js';
import { type Workspace, workspace } from './helpers.js';

const WIDTH = 10_000;

describe(`resume of a ${WIDTH.toLocaleString('en')}-way foreach on the local datastore`, () => {
  let ws: Workspace;
  let figures: WideFigures;

  before(async () => {
    ws = await workspace();
    figures = await runWide({ width: WIDTH, storage: { kind: 'local', root: ws.root }, list: false });
  });
  after(async () => ws?.cleanup());

  it("clones every task, and the clones keep each task's artifacts and foreach position", async () => {
    assert.equal(figures.status, 'successful');
    assert.equal(figures.resumeStatus, 'successful');
    assert.equal(figures.resumeCloned, WIDTH + 3);
    const fds = new FlowDatastore(new LocalStorage(ws.root), 'WideFlow');
    const [resumed] = (await fds.listRunIds()).filter((id) => id !== figures.runId);
    const ids = await fds.listTasks(resumed, 'work');
    assert.equal(ids.length, WIDTH);
    const last = fds.task(resumed, 'work', ids[WIDTH - 1]);
    const [start, done, data] = await Promise.all([
      last.readAttemptStart(0),
      last.readDone(0),
      last.readData(0),
    ]);
    assert.equal(start?.foreachStack.at(-1)?.index, WIDTH - 1);
    assert.match(done?.clonedFrom ?? '', new RegExp(`^WideFlow/${figures.runId}/work/`));
    assert.equal(await fds.loadArtifact(data?.item as never), WIDTH - 1);
    assert.deepEqual(
      done?.data,
      data,
      "the clone's done record carries its refs (a join of clones is handed them)",
    );
  });
});
