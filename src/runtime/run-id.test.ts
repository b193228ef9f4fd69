import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlowDatastore } from '../datastore/flow-datastore.js';
import { MemoryStorage } from '../datastore/memory-storage.js';
import type { RunRecord } from '../datastore/types.js';
import { claimRun, newRunId } from './run-id.js';

describe('run-id', () => {
  it('run ids are numeric strings near the current time in microseconds', () => {
    const before = Date.now() * 1000;
    const id = newRunId();
    assert.match(id, /^\d{16}$/);
    assert.ok(Number(id) >= before - 1000 && Number(id) <= Date.now() * 1000 + 1000, id);
  });

  it('run ids are unique and strictly increasing, also when asked for in a burst', () => {
    const ids = Array.from({ length: 5000 }, () => newRunId());
    assert.equal(new Set(ids).size, ids.length);
    for (let i = 1; i < ids.length; i++) {
      assert.ok(BigInt(ids[i]) > BigInt(ids[i - 1]), `${ids[i - 1]} then ${ids[i]}`);
      assert.ok(ids[i] > ids[i - 1], 'ids sort as strings too');
    }
  });

  it('claimRun: an id already taken is never reused; the run gets the next free id, the other record is kept', async () => {
    const fds = new FlowDatastore(new MemoryStorage(), 'F');
    const record = (runId: string, user: string): RunRecord => ({
      flowName: 'F',
      runId,
      user,
      tags: [],
      startedAt: '2026-01-01T00:00:00.000Z',
      graph: { flowName: 'F', steps: {}, order: [] } as unknown as RunRecord['graph'],
      parameters: {},
    });
    const ids = ['100', '100', '100', '101'];
    const first = await claimRun(
      fds,
      (id) => record(id, 'alice'),
      () => ids.shift() as string,
    );
    const second = await claimRun(
      fds,
      (id) => record(id, 'bob'),
      () => ids.shift() as string,
    );
    assert.equal(first, '100');
    assert.equal(second, '101', 'the same id twice: the second run picks another one');
    assert.equal((await fds.readRun('100'))?.user, 'alice');
    assert.equal((await fds.readRun('101'))?.user, 'bob');
    await assert.rejects(
      claimRun(
        fds,
        (id) => record(id, 'carol'),
        () => '100',
      ),
      (err: Error) => err.name === 'RuntimeError' && /run ids in a row were taken/.test(err.message),
    );
  });
});
