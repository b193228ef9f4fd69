/**
 * The Node 22 smoke check: run the example flow with the pinned Node 22 binary and expect exit 0.
 *
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { node22Path, node22Version } from '../node22.mjs';
import { describeExit, runCommand } from './proc.mjs';

/** The example the check runs, relative to the repo root. */
export const SMOKE_EXAMPLE = 'examples/hello-flow.ts';
const CLI = 'bin/stepflow.mjs';

/**
 * Run `<node22> bin/stepflow.mjs run examples/hello-flow.ts --datastore-root <tmp>` in `root`.
 *
 * A missing example (or CLI) is reported as skipped, except under CI where it fails.
 * Returns `{ status: 'passed' | 'skipped' | 'failed', message }`.
 *
 * @example
 * ```js
 * const r = await node22Smoke(root, { ci: true, timeoutMs: 300_000 });
 * ```
 */
export async function node22Smoke(root, { ci, timeoutMs }) {
  for (const needed of [SMOKE_EXAMPLE, CLI]) {
    if (!fs.existsSync(path.join(root, needed))) {
      return ci
        ? {
            status: 'failed',
            message: `${needed} not found (CI=true: a missing example or CLI is a failure)`,
          }
        : { status: 'skipped', message: `skipped: ${needed} not found` };
    }
  }
  let bin;
  let version;
  if (!process.env.STEPFLOW_NODE22 && !fs.existsSync(path.join(root, 'tools/node22/node_modules'))) {
    const install = await runCommand('npm', ['ci', '--prefix', 'tools/node22', '--no-audit', '--no-fund'], {
      cwd: root,
      timeoutMs,
    });
    if (install.code !== 0)
      return { status: 'failed', message: `npm ci --prefix tools/node22: ${describeExit(install)}` };
  }
  try {
    bin = node22Path();
    version = node22Version();
  } catch (err) {
    return { status: 'failed', message: err.message };
  }
  const datastore = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-node22-'));
  const args = [CLI, 'run', SMOKE_EXAMPLE, '--datastore-root', datastore];
  process.stdout.write(`node ${version} (${bin})\n$ node22 ${args.join(' ')}\n`);
  try {
    const dir = path.dirname(bin);
    const rest = (process.env.PATH ?? '').split(path.delimiter).filter((p) => p && p !== dir);
    const result = await runCommand(bin, args, {
      cwd: root,
      timeoutMs,
      env: { ...process.env, PATH: [dir, ...rest].join(path.delimiter) },
    });
    if (result.code === 0) return { status: 'passed', message: `${SMOKE_EXAMPLE} ran on Node ${version}` };
    return {
      status: 'failed',
      message: `${SMOKE_EXAMPLE} on Node ${version} ended with ${describeExit(result, timeoutMs)}; see its output above`,
    };
  } finally {
    fs.rmSync(datastore, { recursive: true, force: true });
  }
}
