/**
 * The smoke check of a pinned Node line (22, 24): with that line's binary, run the example flow (exit 0),
 * read it back with `stepflow dump`, and check that a failing flow fails with exit code 1 and says how to
 * resume it — a short end-to-end pass over run, the task processes, the datastore and the client.
 *
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nodeLineDir, nodeLinePath, nodeLineVersion } from '../node-lines.mjs';
import { describeExit, runCommand } from './proc.mjs';

/** The example the check runs, relative to the repo root. */
export const SMOKE_EXAMPLE = 'examples/hello-flow.ts';
/** A flow whose step fails, relative to the repo root. */
export const SMOKE_FAILING = 'test/fixtures/flows/failing-flow.ts';
const CLI = 'bin/stepflow.mjs';

/**
 * Installs tools/node<major> unless it is installed or `STEPFLOW_NODE<major>` is set; returns an error
 * message, or undefined.
 *
 * @example
 * ```js
 * const error = await installNodeLine(root, 24, { timeoutMs: 300_000 });
 * ```
 */
export async function installNodeLine(root, major, { timeoutMs }) {
  const dir = nodeLineDir(major);
  if (process.env[`STEPFLOW_NODE${major}`] || fs.existsSync(path.join(root, dir, 'node_modules'))) return;
  const install = await runCommand('npm', ['ci', '--prefix', dir, '--no-audit', '--no-fund'], {
    cwd: root,
    timeoutMs,
  });
  return install.code === 0 ? undefined : `npm ci --prefix ${dir}: ${describeExit(install, timeoutMs)}`;
}

/**
 * Runs the smoke check on Node `major`. A missing example (or CLI) is reported as skipped, except under
 * CI where it fails. Returns `{ status: 'passed' | 'skipped' | 'failed', message }`.
 *
 * @example
 * ```js
 * const r = await nodeLineSmoke(root, 24, { ci: true, timeoutMs: 300_000 });
 * ```
 */
export async function nodeLineSmoke(root, major, { ci, timeoutMs }) {
  for (const needed of [SMOKE_EXAMPLE, SMOKE_FAILING, CLI]) {
    if (!fs.existsSync(path.join(root, needed))) {
      return ci
        ? {
            status: 'failed',
            message: `${needed} not found (CI=true: a missing example or CLI is a failure)`,
          }
        : { status: 'skipped', message: `skipped: ${needed} not found` };
    }
  }
  const installError = await installNodeLine(root, major, { timeoutMs });
  if (installError) return { status: 'failed', message: installError };
  let bin;
  let version;
  try {
    bin = nodeLinePath(major);
    version = nodeLineVersion(major);
  } catch (err) {
    return { status: 'failed', message: err.message };
  }
  const datastore = fs.mkdtempSync(path.join(os.tmpdir(), `stepflow-node${major}-`));
  const dir = path.dirname(bin);
  const rest = (process.env.PATH ?? '').split(path.delimiter).filter((p) => p && p !== dir);
  const env = { ...process.env, PATH: [dir, ...rest].join(path.delimiter) };
  process.stdout.write(`node ${version} (${bin})\n`);
  /** Runs the CLI on this line; returns an error message when the exit code is not `expected`. */
  const cli = async (args, expected, check = () => undefined) => {
    const full = [CLI, ...args, '--datastore-root', datastore];
    process.stdout.write(`$ node${major} ${full.join(' ')}\n`);
    const result = await runCommand(bin, full, { cwd: root, timeoutMs, env, stdio: 'capture' });
    process.stdout.write(result.stdout + result.stderr);
    if (result.code !== expected) {
      return `${args.slice(0, 2).join(' ')} on Node ${version} ended with ${describeExit(result, timeoutMs)} (expected exit code ${expected}); see its output above`;
    }
    return check(result);
  };
  try {
    let runId = '';
    const problem =
      (await cli(['run', SMOKE_EXAMPLE], 0, (r) => {
        runId = (r.stdout ?? '').split('\n')[0] ?? '';
        return /^HelloFlow\/\d+$/.test(runId) ? undefined : `run printed no run id first (got "${runId}")`;
      })) ??
      (await cli(['dump', `${runId}/end`], 0)) ??
      (await cli(['run', SMOKE_FAILING], 1, (r) =>
        /resume the run: stepflow resume /.test(r.stderr ?? '')
          ? undefined
          : 'a failed run did not say how to resume it',
      ));
    if (problem) return { status: 'failed', message: problem };
    return {
      status: 'passed',
      message: `${SMOKE_EXAMPLE} ran, was read back, and a failing flow failed on Node ${version}`,
    };
  } finally {
    fs.rmSync(datastore, { recursive: true, force: true });
  }
}
