import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ArtifactSerializationError, InvalidKeyError } from './errors.js';
import { FlowDatastore } from './flow-datastore.js';
import { LocalStorage } from './local-storage.js';
import { MemoryStorage } from './memory-storage.js';
import type { RunRecord } from './types.js';

let dir: string;
let storage: LocalStorage;
let ds: FlowDatastore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stepflow-fds-'));
  storage = new LocalStorage(dir);
  ds = new FlowDatastore(storage, 'TrainFlow');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function runRecord(runId: string): RunRecord {
  return {
    flowName: 'TrainFlow',
    runId,
    user: 'me',
    tags: [],
    startedAt: '2026-01-01T00:00:00.000Z',
    graph: { steps: {} },
    parameters: {},
  };
}

const started = (attempt: number) => ({
  attempt,
  startedAt: '2026-01-01T00:00:00.000Z',
  inputs: [],
  foreachStack: [],
});

describe('flow-datastore', () => {
  it('run records are written and read; runs list newest first without the data folder', async () => {
    for (const id of ['9', '10', '2']) await ds.writeRun(runRecord(id));
    await ds.saveArtifacts({ x: 1 });
    assert.deepEqual(await ds.listRunIds(), ['10', '9', '2']);
    assert.equal((await ds.readRun('10'))?.runId, '10');
    assert.equal(await ds.readRun('404'), undefined);
    assert.equal(await ds.readRunStatus('10'), undefined);
    await ds.writeRunStatus('10', { status: 'successful', endedAt: '2026-01-01T00:01:00.000Z' });
    assert.equal((await ds.readRunStatus('10'))?.status, 'successful');
    await assert.rejects(ds.writeRun({ ...runRecord('1'), flowName: 'Other' }), /Other/);
    assert.throws(() => ds.task('../x', 'start', '0'), InvalidKeyError);
    assert.throws(() => new FlowDatastore(storage, 'a/b'), InvalidKeyError);
  });

  it('steps and tasks of a run are listed, hiding _meta and _parameters', async () => {
    await ds.writeRun(runRecord('1'));
    for (const [step, task] of [
      ['start', '0'],
      ['train', '10'],
      ['train', '2'],
      ['end', '11'],
    ]) {
      await ds.task('1', step, task).writeAttemptStart(started(0));
    }
    await ds.parametersTask('1').writeData(0, {});
    assert.deepEqual(await ds.listSteps('1'), ['end', 'start', 'train']);
    assert.deepEqual(await ds.listTasks('1', 'train'), ['2', '10']);
    assert.deepEqual(await ds.listTasks('1', 'nope'), []);
  });

  it('an attempt is visible only once its done.json exists', async () => {
    const task = ds.task('1', 'train', '3');
    assert.equal(await task.latestDoneAttempt(), undefined);
    await task.writeAttemptStart(started(0));
    await task.writeData(0, {});
    assert.equal(await task.latestDoneAttempt(), undefined, 'data without done.json is invisible');
    await task.writeDone(0, { attempt: 0, ok: false, endedAt: 'e', error: { type: 'Error', message: 'x' } });
    await task.writeAttemptStart(started(1));
    await task.writeAttemptStart(started(2));
    await task.writeDone(2, { attempt: 2, ok: true, endedAt: 'e' });
    await task.writeAttemptStart(started(3));
    assert.equal(await task.latestDoneAttempt(), 2, 'attempts 1 and 3 have no done.json');
    assert.deepEqual(await task.startedAttempts(), [0, 1, 2, 3]);
    assert.equal((await task.readDone(0))?.error?.message, 'x');
    assert.equal(await task.readDone(1), undefined);
    assert.equal((await task.readAttemptStart(3))?.attempt, 3);
    assert.equal(task.pathspec, 'TrainFlow/1/train/3');
  });

  it("latestDoneAttempts: each task's latest done attempt from one recursive listing of the step", async () => {
    const done = (attempt: number) => ({ attempt, ok: attempt > 0, endedAt: '' });
    const a = ds.task('1', 'work', '2');
    await a.writeAttemptStart(started(0));
    await a.writeDone(0, done(0));
    await a.writeAttemptStart(started(1));
    await a.writeDone(1, done(1));
    await a.writeAttemptStart(started(2)); // running: no done record
    await ds.task('1', 'work', '3').writeDone(0, done(0));
    await ds.task('1', 'work', '4').writeAttemptStart(started(0));
    await ds.task('1', 'other', '5').writeDone(3, done(3));
    const lists: string[] = [];
    const list = storage.list.bind(storage);
    storage.list = (prefix, options) => {
      lists.push(prefix);
      return list(prefix, options);
    };
    const latest = await ds.latestDoneAttempts('1', 'work');
    assert.deepEqual([...latest].sort(), [
      ['2', 1],
      ['3', 0],
    ]);
    assert.deepEqual(lists, ['TrainFlow/1/work/']);
  });

  it('artifacts round trip through saveArtifacts, data.json and loadArtifact', async () => {
    const values = {
      alpha: 0.5,
      name: 'run',
      table: new Map([['a', [1, 2]]]),
      weights: new Float64Array([1, 2, 3]),
    };
    const refs = await ds.saveArtifacts(values);
    assert.equal(refs.alpha.preview, '0.5');
    assert.equal(refs.weights.type, 'Float64Array');
    assert.equal(refs.weights.encoding, 'typed-array');
    assert.equal(refs.table.encoding, 'v8');
    const task = ds.task('1', 'start', '0');
    await task.writeData(0, refs);
    const back = await ds.loadArtifacts((await task.readData(0))!);
    assert.deepEqual(back, values);
    assert.deepEqual(ds.loadArtifactSync(refs.table), values.table);
  });

  it('a large typed array loads from the local backend without a copy (aligned view)', async () => {
    const big = new Float64Array(256 * 1024).map((_, i) => i);
    const refs = await ds.saveArtifacts({ big });
    for (const loaded of [await ds.loadArtifact(refs.big), ds.loadArtifactSync(refs.big)] as Float64Array[]) {
      assert.equal(loaded.byteOffset, 16, 'a view after the frame header and the 15-byte prefix');
      assert.equal(loaded.length, big.length);
      assert.equal(loaded[big.length - 1], big.length - 1);
    }
  });

  it('a refused artifact names itself and nothing is written', async () => {
    class Model {}
    const err = await ds.saveArtifacts({ ok: 1, model: { inner: new Model() } }).catch((e: unknown) => e);
    assert.ok(err instanceof ArtifactSerializationError);
    assert.equal(err.artifact, 'model');
    assert.equal(err.path, 'model.inner');
    assert.deepEqual(await storage.list('', { recursive: true }), []);
  });

  it('logs are stored per attempt and stream', async () => {
    const task = ds.task('1', 'start', '0');
    await task.saveLog(0, 'stdout', Buffer.from('out\n'));
    await task.saveLog(0, 'stderr', [Buffer.from('err'), Buffer.from('\n')]);
    assert.equal((await task.readLog(0, 'stdout'))?.toString(), 'out\n');
    assert.equal((await task.readLog(0, 'stderr'))?.toString(), 'err\n');
    assert.equal(await task.readLog(1, 'stdout'), undefined);
  });

  it('on a backend without synchronous reads, loadArtifactSync works after a prefetch', async () => {
    const remote = new FlowDatastore(new MemoryStorage(), 'TrainFlow');
    const refs = await remote.saveArtifacts({ a: [1, 2, 3] });
    assert.throws(() => remote.loadArtifactSync(refs.a), /prefetch/i);
    await remote.prefetchArtifacts(Object.values(refs));
    assert.deepEqual(remote.loadArtifactSync(refs.a), [1, 2, 3]);
  });

  it('listRunIds leaves out folders and files that are not runs (old-copy, an id with a suffix, a file)', async () => {
    for (const id of ['1764081234567123', '1764081234567124', '99']) await ds.writeRun(runRecord(id));
    await storage.put('TrainFlow/old-copy/_meta/run.json', Buffer.from('{}'));
    await storage.put('TrainFlow/1764081234567125-bak/_meta/run.json', Buffer.from('{}'));
    await storage.put('TrainFlow/notes.txt', Buffer.from('a file'));
    assert.deepEqual(await ds.listRunIds(), ['1764081234567124', '1764081234567123', '99']);
  });

  it('createRun names a run once: a second record with the same id is refused and the first kept', async () => {
    assert.equal(await ds.createRun(runRecord('5')), true);
    assert.equal(await ds.createRun({ ...runRecord('5'), user: 'other' }), false);
    assert.equal((await ds.readRun('5'))?.user, 'me');
  });
});
