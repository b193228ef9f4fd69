/**
 * The per-user cache folder: `$STEPFLOW_CACHE_DIR`, else `$XDG_CACHE_HOME/stepflow`, else
 * `~/.cache/stepflow`, mode 0700 and owned by the user. Code that ends up running (the AWS SDK bundle
 * packed into every @batch job, a materialized flow bundle) is cached here, never in the shared temp
 * folder, and every entry is checked against the sha256 recorded when it was written
 * ({@link VerifiedCache}).
 *
 * @module
 */

import { chmodSync, lstatSync, mkdirSync, realpathSync, type Stats, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorMessage } from '../common/index.js';
import { PackageError, UnsafeCacheDirError, type UnsafeCacheDirProblem } from './errors.js';
import { type CacheNotice, VerifiedCache } from './verified-cache.js';

/**
 * Options of {@link userCache} (and of the caches built on it).
 *
 * @example
 * ```ts
 * const options: UserCacheOptions = { env: { XDG_CACHE_HOME: '/tmp/me' }, notice: console.error };
 * ```
 */
export interface UserCacheOptions {
  /** Where `STEPFLOW_CACHE_DIR`, `XDG_CACHE_HOME` and `HOME` are read (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Receives the one-line notice about a rebuilt entry (default: stderr). */
  readonly notice?: CacheNotice;
}

/**
 * The per-user cache folder's path, without touching the disk: `STEPFLOW_CACHE_DIR` when set, else
 * `$XDG_CACHE_HOME/stepflow` (an absolute `XDG_CACHE_HOME` only, as the XDG spec says), else
 * `$HOME/.cache/stepflow`.
 *
 * @example
 * ```ts
 * userCachePath({ HOME: '/home/ada' }); // '/home/ada/.cache/stepflow'
 * ```
 */
export function userCachePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.STEPFLOW_CACHE_DIR) return path.resolve(env.STEPFLOW_CACHE_DIR);
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'stepflow');
  return path.join(env.HOME || os.homedir(), '.cache', 'stepflow');
}

function refuse(
  dir: string,
  problem: UnsafeCacheDirProblem,
  detail: string,
  ownerUid?: number,
): UnsafeCacheDirError {
  return new UnsafeCacheDirError(dir, problem, detail, { ownerUid });
}

/** The parent must not let another user swap our folder: owned by us or root, not world-writable unless sticky. */
function checkParent(dir: string, uid: number): void {
  const parent = path.dirname(dir);
  const st = statSync(parent);
  if (st.uid !== uid && st.uid !== 0) {
    throw refuse(dir, 'parent', `its parent ${parent} is owned by uid ${st.uid}, not by you (uid ${uid})`);
  }
  if ((st.mode & 0o002) !== 0 && (st.mode & 0o1000) === 0) {
    throw refuse(dir, 'parent', `its parent ${parent} is writable by every user and not sticky`);
  }
}

function checkOwned(dir: string, st: Stats, uid: number, what: string): void {
  if (st.uid !== uid) {
    const problem = what.includes('symlink') ? 'symlink' : 'owner';
    throw refuse(dir, problem, `${what} is owned by uid ${st.uid}, not by you (uid ${uid})`, st.uid);
  }
}

/**
 * The per-user cache folder ({@link userCachePath}), created with mode 0700 when missing. Refuses
 * ({@link UnsafeCacheDirError}) a folder owned by another user, a symlink another user made, something
 * that is not a folder, or a folder whose parent another user controls; a folder of ours that group or
 * others may write is set back to 0700.
 *
 * @example
 * ```ts
 * const dir = userCacheDir(); // '/home/ada/.cache/stepflow'
 * ```
 */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = userCachePath(env);
  try {
    mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new PackageError(
        `Could not create the stepflow cache folder ${dir}: ${errorMessage(error)}. ` +
          'Set STEPFLOW_CACHE_DIR (or XDG_CACHE_HOME) to a folder you can write.',
        { cause: error },
      );
    }
  }
  const uid = process.getuid?.();
  const link = lstatSync(dir);
  if (uid !== undefined && link.isSymbolicLink()) checkOwned(dir, link, uid, 'it is a symlink that');
  let st = link;
  if (link.isSymbolicLink()) {
    try {
      st = statSync(dir);
    } catch (error) {
      throw new UnsafeCacheDirError(dir, 'symlink', 'it is a symlink to nothing', { cause: error });
    }
  }
  if (!st.isDirectory()) throw refuse(dir, 'not-a-directory', 'it is not a folder');
  if (uid === undefined) return dir; // Windows: no uids, the profile folder is private
  checkOwned(dir, st, uid, link.isSymbolicLink() ? 'the folder it links to' : 'it');
  checkParent(dir, uid);
  if (link.isSymbolicLink()) checkParent(realpathSync(dir), uid);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  return dir;
}

/**
 * The per-user cache ({@link userCacheDir}) as a {@link VerifiedCache}.
 *
 * @example
 * ```ts
 * const sdk = await userCache().file('sdk/aws-sdk-s3-3.0.0.cjs', buildSdk);
 * ```
 */
export function userCache(options: UserCacheOptions = {}): VerifiedCache {
  return new VerifiedCache(userCacheDir(options.env), { notice: options.notice });
}
