/**
 * The pinned Node 22 binary (kept for callers of the first line's helpers; see node-lines.mjs for every
 * line).
 *
 * @module
 */
import { isPinnedNode, nodeLinePath, nodeLineVersion } from './node-lines.mjs';

/**
 * Absolute path of the Node 22 binary (tools/node22, or `STEPFLOW_NODE22`).
 *
 * @example
 * ```ts
 * spawnSync(node22Path(), ['bin/stepflow.mjs', 'run', 'examples/hello-flow.ts']);
 * ```
 */
export function node22Path() {
  return nodeLinePath(22);
}

/**
 * The version string (`v22.x.y`) of the binary at {@link node22Path}, checked to be a Node 22.
 *
 * @example
 * ```ts
 * console.log(node22Version()); // 'v22.23.3'
 * ```
 */
export function node22Version() {
  return nodeLineVersion(22);
}

/**
 * Whether `execPath` (default: the running process's node) is the pinned Node 22 binary.
 *
 * @example
 * ```ts
 * if (isBundledNode22()) console.log('running on the pinned Node 22');
 * ```
 */
export function isBundledNode22(execPath = process.execPath) {
  return isPinnedNode(execPath, [22]);
}
