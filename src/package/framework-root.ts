/**
 * Where the framework's own sources are, so a bundle can include exactly one copy of them.
 *
 * @module
 */

import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The framework's source root and the extension its modules use there.
 *
 * @example
 * ```ts
 * const root: FrameworkRoot = { dir: '/app/node_modules/stepflow/dist', ext: 'js' };
 * ```
 */
export interface FrameworkRoot {
  /** The folder that holds `index.<ext>` (`…/src` under tsx, `…/dist` when built). */
  readonly dir: string;
  /** `ts` when running from source, `js` when running the built package. */
  readonly ext: string;
}

/**
 * The framework's root: the parent of this module's folder, with this module's own extension.
 *
 * @example
 * ```ts
 * const { dir, ext } = frameworkRoot(); // { dir: '/repo/stepflow/src', ext: 'ts' } under tsx
 * const indexFile = path.join(dir, `index.${ext}`);
 * ```
 */
export function frameworkRoot(): FrameworkRoot {
  const self = fileURLToPath(import.meta.url);
  const ext = path.extname(self) === '.ts' ? 'ts' : 'js';
  return { dir: path.dirname(path.dirname(self)), ext };
}
