import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newRunId } from './run-id.js';

test('run ids are numeric strings near the current time in microseconds', () => {
  const before = Date.now() * 1000;
  const id = newRunId();
  assert.match(id, /^\d{16}$/);
  assert.ok(Number(id) >= before - 1000 && Number(id) <= Date.now() * 1000 + 1000, id);
});

test('run ids are unique and strictly increasing, also when asked for in a burst', () => {
  const ids = Array.from({ length: 5000 }, () => newRunId());
  assert.equal(new Set(ids).size, ids.length);
  for (let i = 1; i < ids.length; i++) {
    assert.ok(BigInt(ids[i]) > BigInt(ids[i - 1]), `${ids[i - 1]} then ${ids[i]}`);
    assert.ok(ids[i] > ids[i - 1], 'ids sort as strings too');
  }
});
