/**
 * Child processes for the project scripts: run a command in its own process group, with a time limit,
 * and stop the whole group on timeout or when the script itself is interrupted.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

/** Children currently running, so an interrupt can stop them all. */
const running = new Set();
let handlersInstalled = false;
let interrupted = false;

/**
 * Run a command and wait for it.
 *
 * `stdio: 'inherit'` streams its output; `'capture'` collects stdout/stderr as strings.
 * The child leads its own process group, so a timeout kills every process it started.
 *
 * @example
 * ```js
 * const r = await runCommand('npm', ['run', 'build'], { timeoutMs: 600_000 });
 * if (r.code !== 0) process.exit(1);
 * ```
 */
export function runCommand(command, args, options = {}) {
  const { cwd = process.cwd(), env = process.env, timeoutMs = 0, stdio = 'inherit' } = options;
  installSignalHandlers();
  const started = performance.now();
  return new Promise((resolve) => {
    if (interrupted) {
      resolve({ code: null, signal: 'SIGINT', timedOut: false, stdout: '', stderr: '', durationMs: 0 });
      return;
    }
    const capture = stdio === 'capture';
    const child = spawn(command, args, {
      cwd,
      env,
      detached: true,
      stdio: capture ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    if (capture) {
      child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    }
    let timedOut = false;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            killGroup(child);
          }, timeoutMs)
        : undefined;
    const finish = (code, signal, error) => {
      clearTimeout(timer);
      running.delete(child);
      // Processes the command left behind in its group (a test's forgotten child) go with it.
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      resolve({ code, signal, timedOut, error, stdout, stderr, durationMs: performance.now() - started });
    };
    child.on('error', (error) => finish(null, null, error));
    child.on('close', (code, signal) => finish(code, signal, undefined));
  });
}

/**
 * Stop a child's whole process group: SIGTERM, then SIGKILL after `graceMs`.
 *
 * @example
 * ```js
 * killGroup(child, 2000);
 * ```
 */
export function killGroup(child, graceMs = 5000) {
  if (child.pid === undefined) return;
  signalGroup(child.pid, 'SIGTERM');
  setTimeout(() => signalGroup(child.pid, 'SIGKILL'), graceMs).unref();
}

function signalGroup(pid, sig) {
  try {
    process.kill(-pid, sig);
  } catch {
    // the group is already gone
  }
}

/**
 * A one-line description of how a finished command ended, for error messages.
 *
 * @example
 * ```js
 * describeExit({ code: 2 }); // 'exit code 2'
 * ```
 */
export function describeExit(result, timeoutMs) {
  if (result.error) return `could not start: ${result.error.message}`;
  if (result.timedOut) return `timed out after ${formatDuration(timeoutMs)} and was killed`;
  if (result.signal) return `killed by ${result.signal}`;
  return `exit code ${result.code}`;
}

/**
 * A short human duration: `850 ms`, `12.3 s`, `4 min 05 s`.
 *
 * @example
 * ```js
 * formatDuration(12345); // '12.3 s'
 * ```
 */
export function formatDuration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/**
 * The environment for children: `node` on PATH is the node running this script.
 *
 * `npm run` puts `node_modules/.bin` (which holds the pinned Node 22 as `node`) first on PATH; this
 * puts the running node's folder in front of it so children spawned as plain `node` match us.
 *
 * @example
 * ```js
 * spawn('node', ['-v'], { env: hostNodeEnv() });
 * ```
 */
export function hostNodeEnv(extra = {}) {
  const dir = path.dirname(process.execPath);
  const rest = (process.env.PATH ?? '').split(path.delimiter).filter((p) => p && p !== dir);
  return { ...process.env, PATH: [dir, ...rest].join(path.delimiter), ...extra };
}

function installSignalHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      interrupted = true;
      for (const child of running) killGroup(child, 2000);
      process.stderr.write(`\n${sig}: stopped the running command\n`);
      setTimeout(() => process.exit(130), 2500).unref();
      if (running.size === 0) process.exit(130);
    });
  }
}
