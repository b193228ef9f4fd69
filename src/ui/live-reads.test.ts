import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CountingStorage } from '../../test/support/counting-storage.js';
import { FlowDatastore } from '../datastore/flow-datastore.js';
import { LocalStorage } from '../datastore/local-storage.js';
import { MemoryStorage } from '../datastore/memory-storage.js';
import type { LogChunk, RunResponse, StepResponse, TaskResponse } from './api-types.js';
import { createUiApp } from './app.js';
import { LOG_TAIL_BYTES } from './log-tail.js';
import { ReadModel } from './read-model.js';

const FLOW = 'LiveFlow';
const RUN = '1700000000000000';
const STEPS = {
  start: { name: 'start', kind: 'foreach', next: ['work'], foreach: 'items', decorators: [] },
  work: { name: 'work', kind: 'linear', next: ['end'], decorators: [] },
  end: { name: 'end', kind: 'end', next: [], decorators: [] },
};
/** The run's graph as the runtime records it. */
const GRAPH = {
  flowName: FLOW,
  file: 'f.ts',
  line: 1,
  steps: STEPS,
  order: Object.keys(STEPS),
  parameters: [],
};
const AT = '2026-01-01T00:00:00.000Z';

let dir: string;
let fds: FlowDatastore;
let storage: CountingStorage;

async function startTask(id: number, attempt = 0): Promise<void> {
  await fds.task(RUN, 'work', String(id)).writeAttemptStart({
    attempt,
    startedAt: AT,
    inputs: ['start/1'],
    foreachStack: [{ step: 'start', taskId: '1', field: 'items', index: id, count: 100 }],
  });
}

async function finishTask(id: number, attempt = 0): Promise<void> {
  await fds.task(RUN, 'work', String(id)).writeDone(attempt, { attempt, ok: true, endedAt: AT });
}

function newApp() {
  return createUiApp({ model: new ReadModel({ datastore: storage }), assets: { script: '', style: '' } });
}

const doneReads = () => storage.reads.filter((k) => k.endsWith('.done.json')).length;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stepflow-ui-live-'));
  storage = new CountingStorage(new LocalStorage(dir));
  fds = new FlowDatastore(storage, FLOW);
  await fds.writeRun({
    flowName: FLOW,
    runId: RUN,
    user: 'ana',
    tags: [],
    startedAt: AT,
    graph: GRAPH,
    parameters: {},
  });
  for (let i = 2; i < 42; i++) {
    await startTask(i);
    await finishTask(i);
  }
  await startTask(42);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ui live pages', () => {
  it('reads each finished attempt once: a refresh of an open server reads only the new records', async () => {
    const app = newApp();
    storage.reset();
    let res = await app.request(`/api/step/${FLOW}/${RUN}/work`);
    assert.equal(res.status, 200);
    assert.equal(doneReads(), 40, 'first view: every finished task');
    storage.reset();
    res = await app.request(`/api/run/${FLOW}/${RUN}`);
    const run = (await res.json()) as RunResponse;
    assert.equal(run.steps.find((s) => s.name === 'work')?.counts.running, 1);
    assert.equal(doneReads(), 0, 'the run page reuses what the step page read');
    assert.ok(
      storage.lists <= 5,
      `succeeded tasks' folders are not listed again (${storage.lists} listings)`,
    );
    await finishTask(42);
    storage.reset();
    res = await app.request(`/api/step/${FLOW}/${RUN}/work`);
    assert.deepEqual(((await res.json()) as StepResponse).counts, { successful: 41 });
    assert.deepEqual(
      storage.reads.filter((k) => k.endsWith('.done.json')),
      [`${FLOW}/${RUN}/work/42/0.done.json`],
      'only the new done record',
    );
  });

  it('answers an unchanged live page 304 from listings alone, and a changed one with the change', async () => {
    const app = newApp();
    await startTask(43);
    for (const url of [
      `/api/run/${FLOW}/${RUN}`,
      `/api/step/${FLOW}/${RUN}/work`,
      `/api/task/${FLOW}/${RUN}/work/43`,
    ]) {
      const first = await app.request(url);
      assert.equal(first.status, 200, url);
      const etag = first.headers.get('etag') ?? '';
      storage.reset();
      const again = await app.request(url, { headers: { 'If-None-Match': etag } });
      assert.equal(again.status, 304, url);
      assert.deepEqual(storage.reads, [], `${url}: nothing read to answer 304`);
    }
    const url = `/api/run/${FLOW}/${RUN}`;
    const etag = (await app.request(url)).headers.get('etag') ?? '';
    await finishTask(43);
    const changed = await app.request(url, { headers: { 'If-None-Match': etag } });
    assert.equal(changed.status, 200);
    const body = (await changed.json()) as RunResponse;
    assert.equal(body.steps.find((s) => s.name === 'work')?.counts.running, undefined);
  });

  it("a task page changes when a running attempt's side record is rewritten (a job's status)", async () => {
    const app = newApp();
    await startTask(44);
    const key = `${FLOW}/${RUN}/work/44/0.batch.json`;
    await storage.put(key, Buffer.from(JSON.stringify({ jobId: 'j-1', status: 'RUNNABLE' })));
    const url = `/api/task/${FLOW}/${RUN}/work/44`;
    const etag = (await app.request(url)).headers.get('etag') ?? '';
    await storage.put(key, Buffer.from(JSON.stringify({ jobId: 'j-1', status: 'RUNNING' })));
    const res = await app.request(url, { headers: { 'If-None-Match': etag } });
    assert.equal(res.status, 200);
    const task = (await res.json()) as TaskResponse;
    assert.deepEqual(task.attempts[0]?.records, { batch: { jobId: 'j-1', status: 'RUNNING' } });
  });

  it("a running attempt's side record rewritten in place (a spot reclaim) changes the run and step pages, and the mark shows", async () => {
    const app = newApp();
    await startTask(46);
    const key = `${FLOW}/${RUN}/work/46/0.batch.json`;
    await storage.put(key, Buffer.from(JSON.stringify({ jobId: 'j-1', status: 'RUNNING' })));
    const runUrl = `/api/run/${FLOW}/${RUN}`;
    const stepUrl = `/api/step/${FLOW}/${RUN}/work`;
    const runTag = (await app.request(runUrl)).headers.get('etag') ?? '';
    const stepTag = (await app.request(stepUrl)).headers.get('etag') ?? '';
    const reclaimed = [{ jobId: 'j-1', reason: 'Host EC2 (instance i-1) terminated.', at: AT }];
    await storage.put(key, Buffer.from(JSON.stringify({ jobId: 'j-2', status: 'RUNNABLE', reclaimed })));
    const res = await app.request(runUrl, { headers: { 'If-None-Match': runTag } });
    assert.equal(res.status, 200, 'the rewrite changes the run page');
    const etag = res.headers.get('etag') ?? '';
    assert.notEqual(etag, runTag);
    const bar = ((await res.json()) as RunResponse).timeline.find((b) => b.task === 'work/46');
    assert.deepEqual(bar?.resubmits, reclaimed);
    const step = await app.request(stepUrl, { headers: { 'If-None-Match': stepTag } });
    assert.equal(step.status, 200, 'the rewrite changes the step page');
    // Unchanged since: a 304 from one conditional read of the record, nothing read whole.
    storage.reset();
    const again = await app.request(runUrl, { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
    assert.deepEqual(storage.reads, [], 'nothing read whole to answer 304');
    assert.ok(storage.unchanged.includes(key), 'the record was checked with a conditional read');
  });

  it('checks at most 100 side records of running attempts a poll, round-robin, so each is seen in turn', async () => {
    const memory = new CountingStorage(new MemoryStorage());
    const mem = new FlowDatastore(memory, FLOW);
    await mem.writeRun({
      flowName: FLOW,
      runId: RUN,
      user: 'ana',
      tags: [],
      startedAt: AT,
      graph: GRAPH,
      parameters: {},
    });
    const batchKey = (i: number) => `${FLOW}/${RUN}/work/${i}/0.batch.json`;
    for (let i = 0; i < 250; i++) {
      await mem
        .task(RUN, 'work', String(i))
        .writeAttemptStart({ attempt: 0, startedAt: AT, inputs: [], foreachStack: [] });
      await memory.put(batchKey(i), Buffer.from(JSON.stringify({ jobId: `j-${i}`, status: 'RUNNING' })));
    }
    const app = createUiApp({
      model: new ReadModel({ datastore: memory }),
      assets: { script: '', style: '' },
    });
    const url = `/api/run/${FLOW}/${RUN}`;
    let etag = (await app.request(url)).headers.get('etag') ?? '';
    const seen = new Set<string>();
    for (let poll = 0; poll < 3; poll++) {
      memory.reset();
      const res = await app.request(url, { headers: { 'If-None-Match': etag } });
      assert.equal(res.status, 304);
      const checked = [...memory.unchanged, ...memory.reads].filter((k) => k.endsWith('.batch.json'));
      assert.ok(checked.length <= 100, `poll ${poll}: ${checked.length} records checked`);
      for (const k of checked) seen.add(k);
    }
    assert.equal(seen.size, 250, 'three polls of 100 see every one of the 250 records');
    await memory.put(batchKey(7), Buffer.from(JSON.stringify({ jobId: 'j-7b', status: 'RUNNABLE' })));
    let changedAt = -1;
    for (let poll = 0; poll < 3 && changedAt < 0; poll++) {
      const res = await app.request(url, { headers: { 'If-None-Match': etag } });
      if (res.status === 200) {
        changedAt = poll;
        etag = res.headers.get('etag') ?? '';
      }
    }
    assert.ok(changedAt >= 0, 'the rewrite is seen within 3 polls');
  });

  it('lists a wide step of a non-local backend in one go, and only the unfinished tasks once the rest succeeded', async () => {
    const memory = new CountingStorage(new MemoryStorage());
    const mem = new FlowDatastore(memory, FLOW);
    await mem.writeRun({
      flowName: FLOW,
      runId: RUN,
      user: 'ana',
      tags: [],
      startedAt: AT,
      graph: GRAPH,
      parameters: {},
    });
    for (let i = 2; i < 62; i++) {
      const td = mem.task(RUN, 'work', String(i));
      await td.writeAttemptStart({ attempt: 0, startedAt: AT, inputs: [], foreachStack: [] });
      if (i < 52) await td.writeDone(0, { attempt: 0, ok: true, endedAt: AT });
    }
    const app = createUiApp({
      model: new ReadModel({ datastore: memory }),
      assets: { script: '', style: '' },
    });
    const counts = async () => {
      const res = await app.request(`/api/step/${FLOW}/${RUN}/work`);
      return ((await res.json()) as StepResponse).counts;
    };
    memory.reset();
    assert.deepEqual(await counts(), { successful: 50, running: 10 });
    assert.ok(memory.lists <= 4, `60 unknown tasks: the step listed at once (${memory.lists} listings)`);
    memory.reset();
    assert.deepEqual(await counts(), { successful: 50, running: 10 });
    assert.ok(
      memory.lists >= 10 && memory.lists <= 14,
      `10 unfinished folders listed (${memory.lists} listings)`,
    );
  });

  it('reads a log by cursor: the tail first, then only the bytes after it, across segments and characters', async () => {
    const app = newApp();
    await startTask(45);
    const td = fds.task(RUN, 'work', '45');
    const log = async (q: string) => {
      const r = await app.request(`/api/log/${FLOW}/${RUN}/work/45?attempt=0&stream=stdout${q}`);
      assert.equal(r.status, 200, await r.clone().text());
      return (await r.json()) as LogChunk;
    };
    const big = `${'x'.repeat(LOG_TAIL_BYTES)}\nline one\n`;
    await storage.put(`${td.attemptPrefix(0)}stdout.log`, Buffer.from(big));
    const first = await log('');
    assert.equal(first.cut, true);
    assert.ok(first.text.endsWith('line one\n') && first.text.length < big.length);
    assert.equal(first.complete, false);
    // The open segment grows (with half of a 3-byte character at its end), then a second segment starts.
    const euro = Buffer.from('€');
    await storage.put(
      `${td.attemptPrefix(0)}stdout.log`,
      Buffer.concat([Buffer.from(`${big}line two `), euro.subarray(0, 1)]),
    );
    storage.reset();
    const second = await log(`&cursor=${first.cursor}`);
    assert.equal(second.text, 'line two ');
    assert.equal(storage.rangedBytes, 'line two '.length + 1, 'only the new bytes are read');
    await storage.put(
      `${td.attemptPrefix(0)}stdout.log`,
      Buffer.concat([Buffer.from(`${big}line two `), euro.subarray(0, 2)]),
    );
    await storage.put(
      `${td.attemptPrefix(0)}stdout.1.log`,
      Buffer.concat([euro.subarray(2), Buffer.from('\nline three\n')]),
    );
    await storage.put(`${td.attemptPrefix(0)}logs.json`, Buffer.from('{}'));
    const third = await log(`&cursor=${second.cursor}`);
    assert.equal(third.text, '€\nline three\n');
    assert.equal(third.complete, true);
    assert.equal(third.cursor, `1:${'\nline three\n'.length + 1}`);
    const none = await log(`&cursor=${third.cursor}`);
    assert.equal(none.text, '');
    assert.equal((await app.request(`/api/log/${FLOW}/${RUN}/work/45?stream=x`)).status, 400);
    assert.equal((await app.request(`/api/log/${FLOW}/${RUN}/work/45?cursor=a`)).status, 400);
  });
});
