import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { findDoneRecord, metric, readRunId } from './done-records.mjs';

function write(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
}

describe('done-records', () => {
  it('readRunId prefers the run id file, falls back to the pathspec line', (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'done-records-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'run-id');
    assert.equal(readRunId(file, 'ArtFlow/42\nmore', 'ArtFlow'), '42');
    write(file, '77\n');
    assert.equal(readRunId(file, '', 'ArtFlow'), '77');
    assert.throws(() => readRunId(path.join(dir, 'none'), 'nothing', 'ArtFlow'), /wrote no run id/);
  });

  it('findDoneRecord picks the latest ok attempt; metric reads numbers or explains', (t) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'done-records-'));
    t.after(() => fs.rmSync(root, { recursive: true, force: true }));
    const task = path.join(root, 'ArtFlow', '7', 'start', '1');
    write(path.join(task, '0.done.json'), { attempt: 0, ok: false });
    write(path.join(task, '1.done.json'), { attempt: 1, ok: true, metrics: { artifactSaveMs: 12 } });
    const found = findDoneRecord(root, 'ArtFlow', '7', 'start');
    assert.equal(found.record.attempt, 1);
    assert.equal(metric(found, 'artifactSaveMs'), 12);
    assert.throws(() => metric(found, 'artifactSaveBytes'), /has no number metrics\.artifactSaveBytes/);
    assert.throws(
      () => findDoneRecord(root, 'ArtFlow', '7', 'read'),
      /no folder for step "read".*holds: start/,
    );
  });
});
