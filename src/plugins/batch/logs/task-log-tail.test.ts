import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { until } from '../../../../test/support/wait.js';
import { MemoryStorage } from '../../../datastore/memory-storage.js';
import type { StorageBackend } from '../../../datastore/storage.js';
import type { LogStream } from '../../../datastore/task-datastore.js';
import { TailBudget, TaskLogTail, tailDelayMs, uploadFloorMs } from './task-log-tail.js';

const PREFIX = 'F/1/s/2/0.';

function tailOf(storage: Pick<StorageBackend, 'get' | 'readFrom'>, delays: number[] = []) {
  const lines: { stream: LogStream; line: string }[] = [];
  const tail = new TaskLogTail({
    storage,
    prefix: PREFIX,
    push: (stream, line) => lines.push({ stream, line: line.toString('utf8') }),
    delayMs: (elapsed) => {
      delays.push(elapsed);
      return 5;
    },
  });
  return { tail, lines };
}

describe('TaskLogTail', () => {
  it('pushes each complete line once and in order, holding a partial line until its end', async () => {
    const storage = new MemoryStorage();
    const { tail, lines } = tailOf(storage);
    tail.start();
    await storage.put(`${PREFIX}stdout.log`, Buffer.from('one\ntw'));
    await until(() => lines.length === 1, 'the first complete line arrives');
    assert.deepEqual(lines, [{ stream: 'stdout', line: 'one\n' }]);
    await storage.put(`${PREFIX}stdout.log`, Buffer.from('one\ntwo\nthree\n'));
    await storage.put(`${PREFIX}stderr.log`, Buffer.from('warn é\n'));
    await until(() => lines.length === 4, 'the rest arrives');
    const reads = tail.reads;
    await new Promise((r) => setTimeout(r, 30));
    assert.ok(tail.reads > reads, 'it keeps polling');
    await storage.put(`${PREFIX}logs.json`, Buffer.from('{"stdout":14,"stderr":8,"exitCode":0}'));
    const end = await tail.finish();
    assert.deepEqual(end, { complete: true, found: true, marker: { stdout: 14, stderr: 8, exitCode: 0 } });
    assert.deepEqual(
      lines.filter((l) => l.stream === 'stdout').map((l) => l.line),
      ['one\n', 'two\n', 'three\n'],
    );
    assert.deepEqual(
      lines.filter((l) => l.stream === 'stderr').map((l) => l.line),
      ['warn é\n'],
    );
  });

  it('reads to the counts of the marker at the end, and ends a last line without a newline', async () => {
    const storage = new MemoryStorage();
    const { tail, lines } = tailOf(storage);
    await storage.put(`${PREFIX}stdout.log`, Buffer.from('a\nb\nno newline'));
    await storage.put(`${PREFIX}logs.json`, Buffer.from('{"stdout":14,"stderr":0,"exitCode":3}'));
    const end = await tail.finish();
    assert.equal(end.complete, true);
    assert.deepEqual(
      lines.map((l) => l.line),
      ['a\n', 'b\n', 'no newline\n'],
    );
  });

  it('says cut short without a marker, and missing when the task saved no log', async () => {
    const missing = tailOf(new MemoryStorage());
    missing.tail.start();
    assert.deepEqual(await missing.tail.finish(), { complete: false, found: false });
    const storage = new MemoryStorage();
    const short = tailOf(storage);
    await storage.put(`${PREFIX}stderr.log`, Buffer.from('killed mid-\n'));
    assert.deepEqual(await short.tail.finish(), { complete: false, found: true });
    assert.deepEqual(short.lines, [{ stream: 'stderr', line: 'killed mid-\n' }]);
  });

  it('a marker counting more bytes than were saved means cut short', async () => {
    const storage = new MemoryStorage();
    const { tail } = tailOf(storage);
    await storage.put(`${PREFIX}stdout.log`, Buffer.from('x\n'));
    await storage.put(`${PREFIX}logs.json`, Buffer.from('{"stdout":10,"stderr":0,"exitCode":0}'));
    assert.equal((await tail.finish()).complete, false);
  });

  it('follows a log across segments while it grows, each line once and in order', async () => {
    const storage = new MemoryStorage();
    const { tail, lines } = tailOf(storage);
    const numbered = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => `${String(from + i).padStart(7, '0')} ${'y'.repeat(1015)}\n`);
    const first = numbered(0, 1500); // ~1.5 MiB: more than a segment can be closed at
    tail.start();
    await storage.put(`${PREFIX}stdout.log`, Buffer.from(first.slice(0, 1200).join('')));
    await until(() => lines.length === 1200, 'the open segment is read');
    // The saver closes segment 0 (its last lines) and starts segment 1.
    await storage.put(`${PREFIX}stdout.log`, Buffer.from(first.join('')));
    const second = numbered(1500, 10);
    await storage.put(`${PREFIX}stdout.1.log`, Buffer.from(second.join('')));
    await until(() => lines.length === 1510, 'segment 0 to its end, then segment 1');
    const third = numbered(1510, 5);
    await storage.put(`${PREFIX}stdout.1.log`, Buffer.from([...second, ...third].join('')));
    const bytes = [...first, ...second, ...third].join('').length;
    await storage.put(
      `${PREFIX}logs.json`,
      Buffer.from(
        JSON.stringify({ stdout: bytes, stderr: 0, segments: { stdout: 2, stderr: 0 }, exitCode: 0 }),
      ),
    );
    const end = await tail.finish();
    assert.equal(end.complete, true);
    assert.deepEqual(
      lines.map((l) => l.line),
      [...first, ...second, ...third],
    );
  });

  it('at the end, skips a segment the marker counts but that could not be saved', async () => {
    const storage = new MemoryStorage();
    const { tail, lines } = tailOf(storage);
    await storage.put(`${PREFIX}stdout.log`, Buffer.from('a\n'));
    await storage.put(`${PREFIX}stdout.2.log`, Buffer.from('c\n'));
    await storage.put(
      `${PREFIX}logs.json`,
      Buffer.from('{"stdout":4,"stderr":0,"segments":{"stdout":3,"stderr":0},"exitCode":0}'),
    );
    assert.equal((await tail.finish()).complete, true);
    assert.deepEqual(
      lines.map((l) => l.line),
      ['a\n', 'c\n'],
    );
  });

  it('works on a backend without ranged reads (whole gets, new bytes only)', async () => {
    const memory = new MemoryStorage();
    const plain = { get: (k: string) => memory.get(k) };
    const { tail, lines } = tailOf(plain);
    tail.start();
    await memory.put(`${PREFIX}stdout.log`, Buffer.from('1\n'));
    await until(() => lines.length === 1, 'first line');
    await memory.put(`${PREFIX}stdout.log`, Buffer.from('1\n2\n'));
    await until(() => lines.length === 2, 'second line');
    await tail.finish();
    assert.deepEqual(
      lines.map((l) => l.line),
      ['1\n', '2\n'],
    );
  });

  it('asks for its delays with the time since it started; the default grows from 250 ms to 10 s', async () => {
    const delays: number[] = [];
    const { tail } = tailOf(new MemoryStorage(), delays);
    tail.start();
    await until(() => delays.length >= 3, 'a few reads');
    await tail.finish();
    assert.equal(delays[0], 0);
    for (let i = 1; i < delays.length; i++) assert.ok((delays[i] ?? 0) >= (delays[i - 1] ?? 0));
    assert.equal(tailDelayMs(0), 250);
    assert.equal(tailDelayMs(120_000), 500);
    assert.ok(tailDelayMs(60_000) < 400, 'still fast after the first minute');
    assert.equal(tailDelayMs(3_600_000), 10_000);
  });

  it('shares the run budget of reads: many running tails slow down, a few keep the fast start', async () => {
    const budget = new TailBudget(20);
    const storage = new MemoryStorage();
    const tails = Array.from(
      { length: 500 },
      (_, i) => new TaskLogTail({ storage, prefix: `F/1/s/${i}/0.`, push: () => {}, budget }),
    );
    assert.equal(budget.minDelayMs(), 0);
    for (const t of tails.slice(0, 2)) t.start();
    assert.equal(budget.minDelayMs(), 200, '2 tails × 2 logs at 20 reads/s: below the 250 ms start');
    for (const t of tails) t.start();
    assert.equal(budget.running, 500);
    assert.equal(budget.minDelayMs(), 50_000, '500 running tails: each read every 50 s');
    for (const t of tails.slice(0, 250)) t.stop();
    await Promise.all(tails.slice(250).map((t) => t.finish()));
    assert.equal(budget.running, 0, 'stop and finish leave the budget once each');
  });

  it("sets a job's log upload floor from the jobs in flight: ~100 PUTs/s for the run in all", () => {
    assert.equal(uploadFloorMs(1), 250);
    assert.equal(uploadFloorMs(12), 250);
    assert.equal(uploadFloorMs(100), 2000);
    assert.equal(uploadFloorMs(500), 10_000);
  });
});
