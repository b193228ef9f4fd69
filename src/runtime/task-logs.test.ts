import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { FlowDatastore } from '../datastore/flow-datastore.js';
import { LOG_SEGMENT_BYTES } from '../datastore/log-segments.js';
import { MemoryStorage } from '../datastore/memory-storage.js';
import { captureTaskLogs } from './task-logs.js';

/** Memory storage whose puts wait for `open()` (a slow store), or fail (a unit-level fake of an outage). */
class GatedStorage extends MemoryStorage {
  failing = false;
  private gate: Promise<void> = new Promise(() => {});
  private release: () => void = () => {};
  constructor() {
    super();
    this.close();
  }
  close(): void {
    this.gate = new Promise((r) => {
      this.release = r;
    });
  }
  open(): void {
    this.release();
  }
  override async put(key: string, body: Uint8Array | readonly Uint8Array[]): Promise<boolean> {
    await this.gate;
    if (this.failing && key.endsWith('.log')) throw new Error('HTTP 503 SlowDown (injected)');
    return await super.put(key, body);
  }
}

function setup() {
  const storage = new GatedStorage();
  const td = new FlowDatastore(storage, 'F').task('1', 's', '2');
  const streams = { stdout: new PassThrough(), stderr: new PassThrough() };
  const lines: string[] = [];
  const capture = captureTaskLogs({
    streams,
    td,
    attempt: 0,
    storesOwnLogs: false,
    line: (stream, line) => lines.push(`${stream}: ${line}`),
  });
  return { storage, td, streams, lines, capture };
}

describe('captureTaskLogs', () => {
  it('pauses the task pipe while more than two segments wait for a slow store (bounded memory)', async () => {
    const { storage, td, streams, capture } = setup();
    const line = Buffer.alloc(1024, 120);
    line[1023] = 10;
    let written = 0;
    while (!streams.stdout.isPaused() && written < 4 * LOG_SEGMENT_BYTES) {
      streams.stdout.write(line);
      written += line.byteLength;
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(streams.stdout.isPaused(), 'the pipe was paused');
    assert.ok(written <= 2 * LOG_SEGMENT_BYTES + 2048, `paused after ${written} bytes`);
    storage.open();
    streams.stdout.end();
    streams.stderr.end();
    const record = await capture.finish();
    assert.equal(record?.stdout, written);
    assert.equal((await td.readLog(0, 'stdout'))?.byteLength, written);
  });

  it('a log that cannot be saved is a warning line and in the log record; finish() never rejects', async () => {
    const { storage, td, streams, lines, capture } = setup();
    storage.failing = true;
    storage.open();
    streams.stdout.end('hello\n');
    streams.stderr.end();
    const record = await capture.finish();
    assert.equal(record?.stdout, 0);
    assert.match(record?.warnings?.[0] ?? '', /could not save stdout bytes 0–6/);
    assert.deepEqual(lines[0], 'stdout: hello');
    assert.match(lines[1] ?? '', /^stderr: \[stepflow\] the task's log is incomplete: could not save stdout/);
    assert.deepEqual((await td.readLogRecord(0))?.warnings, record?.warnings);
  });
});
