/**
 * Helpers for end-to-end tests: run the real CLI in a child process against a temp datastore, and read
 * what it stored.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { needService } from '../../scripts/ci-rules.mjs';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const BIN = join(REPO, 'bin', 'stepflow.mjs');
export const FLOWS = join(REPO, 'test', 'fixtures', 'flows');
export const INVALID = join(REPO, 'test', 'fixtures', 'invalid');

/** What a finished CLI process printed. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A temp working folder with its own datastore root. */
export interface Workspace {
  readonly dir: string;
  readonly root: string;
  cleanup(): Promise<void>;
}

/** Makes a temp working folder; `root` is the datastore root to pass as --datastore-root. */
export async function workspace(): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'stepflow-e2e-'));
  return { dir, root: join(dir, '.stepflow'), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Starts the CLI (`node bin/stepflow.mjs ...args`). */
export function startCli(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; node?: string } = {},
): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(options.node ?? process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const result = new Promise<CliResult>((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
  return { child, result };
}

/** Runs the CLI to the end. */
export function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; node?: string } = {},
): Promise<CliResult> {
  return startCli(args, options).result;
}

/** Runs a fixture flow with a datastore root in `ws`; returns the result and the run id. */
export async function runFlow(
  ws: Workspace,
  flowFile: string,
  args: readonly string[] = [],
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult & { runId: string; flowName: string }> {
  const result = await runCli(['run', join(FLOWS, flowFile), '--datastore-root', ws.root, ...args], {
    cwd: ws.dir,
    env: options.env,
  });
  const first = result.stdout.split('\n')[0] ?? '';
  const [flowName, runId] = first.split('/');
  return { ...result, flowName, runId };
}

/** Reads a JSON record under the datastore root. */
export async function readRecord<T = Record<string, unknown>>(root: string, ...key: string[]): Promise<T> {
  return JSON.parse(await readFile(join(root, ...key), 'utf8')) as T;
}

/** Task ids of a step, sorted numerically. */
export async function taskIds(root: string, flow: string, runId: string, step: string): Promise<string[]> {
  const ids = await readdir(join(root, flow, runId, step));
  return ids.sort((a, b) => Number(a) - Number(b));
}

/** Steps of a run that have tasks (without `_meta` and `_parameters`). */
export async function stepsOf(root: string, flow: string, runId: string): Promise<string[]> {
  return (await readdir(join(root, flow, runId))).filter((s) => !s.startsWith('_')).sort();
}

/** Loads the artifacts of a task's latest attempt through the datastore code. */
export async function artifactsOf(
  root: string,
  flow: string,
  runId: string,
  step: string,
  taskId: string,
): Promise<Record<string, unknown>> {
  const { openStorage } = await import('../../src/datastore/backends.js');
  const { FlowDatastore } = await import('../../src/datastore/flow-datastore.js');
  const fds = new FlowDatastore(await openStorage({ kind: 'local', root }), flow);
  const td = fds.task(runId, step, taskId);
  const attempt = await td.latestDoneAttempt();
  if (attempt === undefined) throw new Error(`${flow}/${runId}/${step}/${taskId} has no done attempt`);
  const refs = (await td.readData(attempt)) ?? {};
  return fds.loadArtifacts(refs);
}

/** Skips the test when a prerequisite is missing; under CI (`CI=true` or `CI=1`) that fails it instead. */
export function requireOrSkip(ok: boolean, what: string, t: { skip(msg: string): void }): boolean {
  return needService(t, ok, what);
}
