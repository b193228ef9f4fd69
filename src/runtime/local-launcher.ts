/**
 * Runs each task attempt as its own OS process on this machine (`node bundle.mjs step <spec>`), in its own
 * process group so that stopping it stops everything it started.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { LaunchedTask, LaunchOutcome, TaskLauncher, TaskLaunchSpec } from '../decorators/index.js';
import { LAZY_CA_ENV, taskCommand } from '../task/index.js';

/** Grace period between SIGTERM and SIGKILL when a task is stopped. */
const KILL_GRACE_MS = 2000;

/**
 * The environment of a local task: the runtime's own, plus what decorators ask for.
 * `NODE_EXTRA_CA_CERTS` is passed as `STEPFLOW_EXTRA_CA_CERTS` and applied lazily by the task (see
 * `task/extra-ca.ts`): parsing it at start-up cost ~90 ms of CPU per task process.
 *
 * @example
 * ```ts
 * spawn(node, args, { env: localTaskEnv(process.env, { FOO: '1' }) });
 * ```
 */
export function localTaskEnv(
  base: NodeJS.ProcessEnv,
  extra: Readonly<Record<string, string>>,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ...extra };
  if (env.NODE_EXTRA_CA_CERTS && !env[LAZY_CA_ENV]) {
    env[LAZY_CA_ENV] = env.NODE_EXTRA_CA_CERTS;
    delete env.NODE_EXTRA_CA_CERTS;
  }
  return env;
}

function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * The default launcher: one local process per task attempt.
 *
 * @example
 * ```ts
 * const task = new LocalLauncher().launch(spec);
 * const { exitCode } = await task.done;
 * ```
 */
export class LocalLauncher implements TaskLauncher {
  readonly name = 'local';

  constructor(private readonly nodeArgs: readonly string[] = []) {}

  launch(spec: TaskLaunchSpec): LaunchedTask {
    const { args, stdin } = taskCommand(spec.task);
    const child = spawn(process.execPath, [...this.nodeArgs, spec.bundlePath, ...args], {
      env: localTaskEnv(process.env, spec.env),
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    if (stdin !== undefined) {
      child.stdin?.on('error', () => {}); // a task that dies before reading fails on its own
      child.stdin?.end(stdin);
    }
    let killedReason: string | undefined;
    let exited = false;
    const done = new Promise<LaunchOutcome>((resolve) => {
      child.once('error', (err) => {
        exited = true;
        resolve({
          exitCode: null,
          signal: null,
          killedReason: `could not start the task process: ${err.message}`,
        });
      });
      child.once('close', (exitCode, signal) => {
        exited = true;
        // Anything the step left running in its process group goes with it.
        if (child.pid) killGroup(child.pid, 'SIGKILL');
        resolve({ exitCode, signal, killedReason });
      });
    });
    return {
      pid: child.pid,
      stdout: child.stdout as Readable,
      stderr: child.stderr as Readable,
      done,
      kill: async (reason: string) => {
        if (exited || !child.pid) return;
        killedReason ??= reason;
        killGroup(child.pid, 'SIGTERM');
        const timer = setTimeout(() => child.pid && killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
        await done;
        clearTimeout(timer);
      },
    };
  }
}
