/**
 * Who is running stepflow: shared by the runtime (which tags runs `user:<name>`) and the client
 * (whose default namespace is `user:<name>`).
 *
 * @module
 */
import { type Config, loadConfig } from './resolve.js';

/**
 * The user a run belongs to: the `METAFLOW_USER` setting (environment, then profile file), else the OS
 * user (else `USER`, else `unknown`).
 *
 * @example
 * ```ts
 * currentUser({ METAFLOW_USER: 'alice' }); // 'alice'
 * currentUser(process.env, loadConfig());  // the same config as the rest of the command
 * `user:${currentUser()}`;                 // the default namespace tag
 * ```
 */
export function currentUser(env: NodeJS.ProcessEnv = process.env, config: Config = loadConfig(env)): string {
  return config.get('USER');
}
