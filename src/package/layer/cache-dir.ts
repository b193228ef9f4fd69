/**
 * The per-user cache folder of the dependency layer.
 *
 * Stand-in with the shape of `src/package/user-cache.ts` (being added on another branch:
 * `userCacheDir()` = `$XDG_CACHE_HOME/stepflow` or `~/.cache/stepflow`, mode 0700, owner-checked);
 * switch the import to it once it is on main.
 *
 * @module
 */

import { mkdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LayerError } from './errors.js';

/**
 * The per-user cache folder (`$STEPFLOW_CACHE_DIR`, else `$XDG_CACHE_HOME/stepflow`, else
 * `~/.cache/stepflow`), created 0700 and checked to belong to this user (a shared machine has
 * other users writing to shared folders).
 *
 * @example
 * ```ts
 * path.join(userCacheDir(), 'layers'); // '/home/me/.cache/stepflow/layers'
 * ```
 */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  const dir = env.STEPFLOW_CACHE_DIR
    ? path.resolve(env.STEPFLOW_CACHE_DIR)
    : xdg && path.isAbsolute(xdg)
      ? path.join(xdg, 'stepflow')
      : path.join(env.HOME || os.homedir(), '.cache', 'stepflow');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new LayerError(
      `The cache folder ${dir} belongs to another user (uid ${st.uid}). Set XDG_CACHE_HOME to a folder of your own.`,
    );
  }
  return dir;
}
