/**
 * The operating-system user, the last fallback of `METAFLOW_USER`.
 *
 * @module
 */
import { userInfo } from 'node:os';

/**
 * The OS user name: the account running the process, else `USER`, else `unknown`.
 *
 * @example
 * ```ts
 * osUserName(); // 'alice'
 * ```
 */
export function osUserName(env: NodeJS.ProcessEnv = process.env): string {
  try {
    return userInfo().username || env.USER || 'unknown';
  } catch {
    return env.USER || 'unknown';
  }
}
