import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { until } from '../support/wait.js';
import { FLOWS, readRecord, startCli, type Workspace, workspace } from './helpers.js';

let ws: Workspace;
before(async () => {
  ws = await workspace();
});
after(async () => {
  await ws.cleanup();
});

/** True while the process exists and is not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('stepflow run: Ctrl-C', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} stops every task process (and what they started) and marks the run failed`, async () => {
      const pidDir = join(ws.dir, `pids-${signal}`);
      await mkdir(pidDir);
      const { child, result } = startCli(['run', join(FLOWS, 'sleep-flow.ts'), '--datastore-root', ws.root], {
        cwd: ws.dir,
        env: { SLEEP_FLOW_PID_DIR: pidDir },
      });
      const deadline = Date.now() + 60_000;
      while (readdirSync(pidDir).length < 3) {
        assert.ok(Date.now() < deadline, 'the three sleeping tasks should start');
        await sleep(100);
      }
      const pids = readdirSync(pidDir).flatMap((f) =>
        readFileSync(join(pidDir, f), 'utf8').split(' ').map(Number),
      );
      assert.equal(pids.length, 6);
      assert.ok(pids.every(alive));
      let stderrSoFar = '';
      child.stderr?.on('data', (d: Buffer) => {
        stderrSoFar += d.toString();
      });
      child.kill(signal);
      // A second signal while the tasks are being stopped must not skip stopping them. The tasks take a
      // second to exit on SIGTERM, so a signal sent once stopping has begun lands while it is under way.
      await until(
        () => stderrSoFar.includes('Stopping 3 running task(s)'),
        'the run to start stopping its tasks',
      );
      child.kill(signal);
      const r = await result;
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, /Stopping 3 running task\(s\)/);
      assert.match(r.stderr, /was interrupted and is marked failed/);
      assert.match(r.stderr, /Still stopping the run's tasks/);
      for (let i = 0; i < 50 && pids.some(alive); i++) await sleep(100);
      assert.deepEqual(pids.filter(alive), [], 'no task process or grandchild is left behind');
      const runId = r.stdout.split('\n')[0].split('/')[1];
      const status = await readRecord<{ status: string }>(
        ws.root,
        'SleepFlow',
        runId,
        '_meta',
        'status.json',
      );
      assert.equal(status.status, 'interrupted');
    });
  }
});
