/**
 * The browser the `stepflow ui` tests drive: Debian's `chromium`, at /usr/bin/chromium. Installed with
 * apt-get (without recommends) when missing and the caller allows it (under CI, or with
 * STEPFLOW_INSTALL_BROWSER=1), as docker.io is for the Batch stand-in. The tests read its path from
 * STEPFLOW_TEST_CHROMIUM; without it they skip locally and fail under CI=true.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Where Debian's package puts the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Whether any of `files` drives a browser (the ui e2e tests: files named ui*.test.ts under test/e2e).
 *
 * @example
 * ```js
 * needsBrowser(['test/e2e/ui.test.ts']); // true
 * ```
 */
export function needsBrowser(files) {
  return files.some((f) => /(^|\/)test\/e2e\/(.*\/)?ui[^/]*\.test\.[cm]?ts$/.test(f));
}

function run(cmd, args, log) {
  fs.appendFileSync(log, `\n$ ${cmd} ${args.join(' ')}\n`);
  const out = fs.openSync(log, 'a');
  const child = spawn(cmd, args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`${cmd} could not start (${err.message}); see ${log}`)));
    child.once('close', (code) =>
      code === 0
        ? resolve(undefined)
        : reject(new Error(`${cmd} ${args.join(' ')} failed (exit ${code}); see ${log}`)),
    );
  });
}

/**
 * Returns the browser's path, installing Debian's `chromium` first when it is missing and `install` is
 * set; `undefined` when it is missing and may not be installed.
 *
 * @example
 * ```js
 * const chromium = await ensureChromium({ logDir: '.ci/logs', install: isCI() });
 * ```
 */
export async function ensureChromium({ logDir, install = false }) {
  if (fs.existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (!install) return undefined;
  if (process.getuid?.() !== 0) {
    throw new Error('chromium is not installed and this is not root: apt-get install chromium as root first');
  }
  fs.mkdirSync(logDir, { recursive: true });
  const log = path.join(logDir, 'chromium-install.log');
  await run('apt-get', ['update', '-q'], log);
  await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'chromium'], log);
  if (!fs.existsSync(CHROMIUM_PATH))
    throw new Error(`apt-get installed chromium but ${CHROMIUM_PATH} is missing; see ${log}`);
  return CHROMIUM_PATH;
}
