/**
 * Types for `scripts/node-lines.mjs`: the pinned Node lines (22, 24) and where their binaries are.
 *
 * @module
 */

/**
 * The pinned lines, oldest first.
 *
 * @example
 * ```ts
 * for (const major of NODE_LINES) console.log(nodeLinePath(major));
 * ```
 */
export declare const NODE_LINES: readonly number[];

/**
 * The folder (relative to the repo root) that holds a line's pinned binary.
 *
 * @example
 * ```ts
 * nodeLineDir(24); // 'tools/node24'
 * ```
 */
export declare function nodeLineDir(major: number): string;

/**
 * Absolute path of the pinned binary of Node `major` (or `STEPFLOW_NODE<major>`).
 *
 * @example
 * ```ts
 * spawnSync(nodeLinePath(24), ['bin/stepflow.mjs', 'run', 'examples/hello-flow.ts']);
 * ```
 */
export declare function nodeLinePath(major: number): string;

/**
 * The `v<major>.x.y` version of that binary; throws when it is of another line.
 *
 * @example
 * ```ts
 * nodeLineVersion(24); // 'v24.22.3'
 * ```
 */
export declare function nodeLineVersion(major: number): string;

/**
 * Whether `execPath` (default `process.execPath`) is the pinned binary of one of `lines`.
 *
 * @example
 * ```ts
 * if (isPinnedNode()) console.log('running on a pinned Node line');
 * ```
 */
export declare function isPinnedNode(execPath?: string, lines?: readonly number[]): boolean;
