import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlowDatastore } from './flow-datastore.js';
import { LogWriter } from './log-writer.js';
import { MemoryStorage } from './memory-storage.js';

/** A unit-level fake of a store whose log PUTs fail (what a transient S3 outage looks like from here). */
class FailingPuts extends MemoryStorage {
  failures = 0;
  constructor(private readonly fails: (key: string, n: number) => boolean) {
    super();
  }
  private readonly tries = new Map<string, number>();
  override async put(key: string, body: Uint8Array | readonly Uint8Array[]): Promise<boolean> {
    const n = (this.tries.get(key) ?? 0) + 1;
    this.tries.set(key, n);
    if (this.fails(key, n)) {
      this.failures++;
      throw new Error('HTTP 503 SlowDown (injected)');
    }
    return await super.put(key, body);
  }
}

const PREFIX = 'F/1/s/2/0.';

describe('LogWriter', () => {
  it('writes segments then the log record; the task datastore reads them back in order', async () => {
    const storage = new MemoryStorage();
    const writer = new LogWriter({ storage, prefix: PREFIX, segmentBytes: 10, rewriteBytes: 4 });
    writer.add('stdout', Buffer.from('0123456789abcdefghij'));
    writer.add('stdout', Buffer.from('XYZ\n'));
    writer.add('stderr', Buffer.from('err\n'));
    const record = await writer.close();
    assert.deepEqual(record, { stdout: 24, stderr: 4, segments: { stdout: 3, stderr: 1 } });
    assert.equal(String(await storage.get(`${PREFIX}stdout.1.log`)), 'abcdefghij');
    const td = new FlowDatastore(storage, 'F').task('1', 's', '2');
    assert.deepEqual(await td.readLogRecord(0), record);
    assert.equal(String(await td.readLog(0, 'stdout')), '0123456789abcdefghijXYZ\n');
    const parts: string[] = [];
    for await (const p of td.logSegments(0, 'stdout')) parts.push(String(p));
    assert.deepEqual(parts, ['0123456789', 'abcdefghij', 'XYZ\n']);
    const copy = new FlowDatastore(storage, 'F').task('9', 's', '2');
    await td.copyLogs(0, copy, 0);
    assert.equal(String(await copy.readLog(0, 'stdout')), '0123456789abcdefghijXYZ\n');
    assert.deepEqual(await copy.readLogRecord(0), record);
  });

  it('reads a single-file log of earlier versions (no segments, no record)', async () => {
    const storage = new MemoryStorage();
    const td = new FlowDatastore(storage, 'F').task('1', 's', '2');
    await storage.put(`${PREFIX}stdout.log`, Buffer.from('old\n'));
    assert.equal(String(await td.readLog(0, 'stdout')), 'old\n');
    assert.equal(await td.readLog(0, 'stderr'), undefined);
  });

  it('retries a failed write (fake transient failures) and the log is whole', async () => {
    const storage = new FailingPuts((key, n) => key.endsWith('.log') && n <= 2);
    const writer = new LogWriter({ storage, prefix: PREFIX, baseDelayMs: 1 });
    writer.add('stdout', Buffer.from('hello\n'));
    const record = await writer.close();
    assert.equal(storage.failures, 2);
    assert.equal(record.warnings, undefined);
    assert.equal(String(await storage.get(`${PREFIX}stdout.log`)), 'hello\n');
  });

  it('a write that fails every try is a warning in the record, never a rejection (fake failures)', async () => {
    const storage = new FailingPuts((key) => key.endsWith('stdout.log'));
    const warnings: string[] = [];
    const writer = new LogWriter({
      storage,
      prefix: PREFIX,
      retries: 2,
      baseDelayMs: 1,
      onWarning: (m) => warnings.push(m),
    });
    writer.add('stdout', Buffer.from('lost\n'));
    writer.add('stderr', Buffer.from('kept\n'));
    await writer.save();
    const record = await writer.close();
    assert.equal(storage.failures, 3, 'one write, two retries');
    assert.equal(record.stdout, 0);
    assert.equal(record.stderr, 5);
    assert.equal(warnings.length, 1);
    assert.match(record.warnings?.[0] ?? '', /could not save stdout bytes 0–5 .*503.*after 3 tries/);
    const td = new FlowDatastore(storage, 'F').task('1', 's', '2');
    assert.deepEqual(await td.readLogRecord(0), record);
    assert.equal(String(await td.readLog(0, 'stderr')), 'kept\n');
  });

  it('asks its source to pause while more than two segments wait, and writes each byte once', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const storage = new MemoryStorage();
    const slow = {
      put: async (k: string, b: Uint8Array | readonly Uint8Array[]) => {
        await gate;
        return await storage.put(k, b);
      },
    };
    const writer = new LogWriter({ storage: slow, prefix: PREFIX, segmentBytes: 100, rewriteBytes: 10 });
    for (let i = 0; i < 3; i++) writer.add('stdout', Buffer.alloc(100, 97 + i));
    writer.add('stdout', Buffer.alloc(1, 10));
    assert.equal(writer.full, true);
    release();
    await writer.save();
    assert.equal(writer.full, false);
    await writer.close();
    assert.equal(writer.bytesWritten - (await storage.get(`${PREFIX}logs.json`))!.byteLength, 301);
  });
});
