import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LaunchedTask, TaskLaunchSpec, TaskSpec } from '../decorators/contract.js';
import { LocalLauncher, localTaskEnv } from './local-launcher.js';

let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stepflow-launcher-'));
  // Prints what it was given, then exits with the code the spec's taskId names.
  await writeFile(
    path.join(dir, 'echo.mjs'),
    `const spec = JSON.parse(process.argv[3]);
     console.log(JSON.stringify({ cmd: process.argv[2], step: spec.stepName, foo: process.env.FOO,
       lazy: process.env.STEPFLOW_EXTRA_CA_CERTS, extra: process.env.NODE_EXTRA_CA_CERTS }));
     process.exitCode = Number(spec.taskId);`,
  );
  // Reads its spec as the task entry does (`step -` → stdin) and prints how many inputs it got.
  await writeFile(
    path.join(dir, 'count.mjs'),
    `import { readFileSync } from 'node:fs';
     const raw = process.argv[3] === '-' ? readFileSync(0, 'utf8') : process.argv[3];
     console.log(JSON.stringify({ arg: process.argv[3] === '-' ? 'stdin' : 'argv', inputs: JSON.parse(raw).inputs.length }));`,
  );
  // Starts a grandchild in the same process group, reports both pids, then sleeps.
  await writeFile(
    path.join(dir, 'tree.mjs'),
    `import { spawn } from 'node:child_process';
     const grandchild = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
     console.log(JSON.stringify({ child: process.pid, grandchild: grandchild.pid }));
     setInterval(() => {}, 1000);`,
  );
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('local-launcher', () => {
  it('localTaskEnv moves NODE_EXTRA_CA_CERTS to STEPFLOW_EXTRA_CA_CERTS and adds decorator variables', () => {
    const base = { PATH: '/bin', NODE_EXTRA_CA_CERTS: '/etc/ca.pem', FOO: 'base' };
    const env = localTaskEnv(base, { FOO: 'deco', BAR: '1' });
    assert.deepEqual(env, { PATH: '/bin', STEPFLOW_EXTRA_CA_CERTS: '/etc/ca.pem', FOO: 'deco', BAR: '1' });
    assert.equal(base.NODE_EXTRA_CA_CERTS, '/etc/ca.pem', 'the base environment is not changed');
    assert.deepEqual(localTaskEnv({ PATH: '/bin' }, {}), { PATH: '/bin' });
    assert.deepEqual(localTaskEnv({ NODE_EXTRA_CA_CERTS: '' }, {}), { NODE_EXTRA_CA_CERTS: '' });
  });

  function launchSpec(bundle: string, taskId: string, env: Record<string, string> = {}): TaskLaunchSpec {
    const task = { flowName: 'F', runId: '1', stepName: 'train', taskId } as TaskSpec;
    return {
      task,
      pathspec: `F/1/train/${taskId}`,
      codePackage: 'sha',
      bundlePath: path.join(dir, bundle),
      env,
    };
  }

  function firstLine(task: LaunchedTask): Promise<string> {
    return new Promise((resolve, reject) => {
      let text = '';
      task.stdout.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('\n')) resolve(text.split('\n')[0]);
      });
      task.stdout.on('end', () => reject(new Error(`no line; stdout: ${text}`)));
    });
  }

  it('a task runs `node bundle step <spec>` with the task environment and reports its exit', async () => {
    const saved = process.env.NODE_EXTRA_CA_CERTS;
    process.env.NODE_EXTRA_CA_CERTS = path.join(dir, 'nothing.pem');
    let task: LaunchedTask;
    try {
      task = new LocalLauncher().launch(launchSpec('echo.mjs', '3', { FOO: 'from-decorator' }));
    } finally {
      if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
      else process.env.NODE_EXTRA_CA_CERTS = saved;
    }
    assert.equal(typeof task.pid, 'number');
    const line = await firstLine(task);
    assert.deepEqual(JSON.parse(line), {
      cmd: 'step',
      step: 'train',
      foo: 'from-decorator',
      lazy: path.join(dir, 'nothing.pem'),
    });
    assert.deepEqual(await task.done, { exitCode: 3, signal: null, killedReason: undefined });
    await task.kill('late'); // no-op once it has ended
    assert.deepEqual(await task.done, { exitCode: 3, signal: null, killedReason: undefined });
  });

  /** True while `pid` exists and is not a zombie waiting to be reaped. */
  function alive(pid: number): boolean {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    }
  }

  it('kill() stops the task and the processes it started, and records why', async () => {
    const task = new LocalLauncher().launch(launchSpec('tree.mjs', '1'));
    const { child, grandchild } = JSON.parse(await firstLine(task)) as { child: number; grandchild: number };
    assert.equal(child, task.pid);
    assert.ok(alive(child) && alive(grandchild));
    await task.kill('stopped by test');
    const outcome = await task.done;
    assert.equal(outcome.killedReason, 'stopped by test');
    assert.equal(outcome.signal, 'SIGTERM');
    for (let i = 0; i < 100 && (alive(child) || alive(grandchild)); i++) await sleep(20);
    assert.equal(alive(child), false, 'child still running');
    assert.equal(alive(grandchild), false, 'grandchild still running');
  });

  it('a join spec too long for one command-line argument reaches the task through stdin', async () => {
    const base = launchSpec('count.mjs', '0');
    // 20,000 inputs ≈ 300 KiB of JSON: Linux refuses one argument over 128 KiB (E2BIG).
    const inputs = Array.from({ length: 20_000 }, (_, i) => `square_it/${i + 2}`);
    const launched = new LocalLauncher().launch({ ...base, task: { ...base.task, inputs } });
    let out = '';
    launched.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    const outcome = await launched.done;
    assert.equal(outcome.exitCode, 0);
    assert.deepEqual(JSON.parse(out), { arg: 'stdin', inputs: 20_000 });
  });
});
