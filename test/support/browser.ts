/**
 * The browser side of the `stepflow ui` tests: Debian's chromium driven by playwright-core, the
 * `stepflow ui` server started as a child process, and pages opened with a screenshot each. Without the
 * browser a test skips, except under CI (CI=true or CI=1), where it fails. `uiHarness` sets all of it up
 * for a test file and takes it down after.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { needService } from '../../scripts/ci-rules.mjs';
import { startCli, type Workspace, workspace } from '../e2e/helpers.js';
import { until } from './wait.js';

const CHROMIUM = process.env.STEPFLOW_TEST_CHROMIUM ?? '/usr/bin/chromium';
const MISSING =
  'chromium (Debian package; `node scripts/test.mjs` installs it under CI or with STEPFLOW_INSTALL_BROWSER=1)';

/**
 * Launches chromium, or returns undefined when it is not installed.
 *
 * @example
 * ```ts
 * const browser = await launchBrowser();
 * ```
 */
export async function launchBrowser(): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) return undefined;
  return await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/**
 * True when the browser is there; skips the test otherwise (fails it under CI).
 *
 * @example
 * ```ts
 * if (!hasBrowser(t, browser)) return;
 * ```
 */
export function hasBrowser(t: { skip(message?: string): void }, browser: Browser | undefined): boolean {
  return needService(t, browser !== undefined, MISSING);
}

/**
 * Waits until `get()` returns a value, and returns it.
 *
 * @example
 * ```ts
 * const id = await waitFor(() => /run (\d+)/.exec(out)?.[1], 'the run id');
 * ```
 */
export async function waitFor<T>(get: () => T | undefined, what: string): Promise<T> {
  let value: T | undefined;
  await until(() => (value = get()) !== undefined, what, { everyMs: 50, timeoutMs: 60_000 });
  return value as T;
}

/**
 * Starts `stepflow ui` in `cwd` and resolves with its base URL (no trailing slash) once it printed it.
 * The child is pushed on `children` so the caller can stop it.
 *
 * @example
 * ```ts
 * const base = await startUi(ws.dir, ['--datastore-root', ws.root], {}, servers);
 * ```
 */
export async function startUi(
  cwd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  children: ChildProcess[],
): Promise<string> {
  const { child, result } = startCli(['ui', ...args], { cwd, env });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const url = await Promise.race([
    waitFor(() => /stepflow ui: (http:\/\/\S+)/.exec(out)?.[1], 'the ui URL'),
    result.then((r) => {
      throw new Error(`stepflow ui exited ${r.code}: ${r.stderr}`);
    }),
  ]);
  return url.replace(/\/$/, '');
}

/**
 * Waits until the text of `selector` on `page` matches `pattern` (logs arrive after the page renders),
 * and returns it.
 *
 * @example
 * ```ts
 * await textMatching(page, '#stdout', /hello/);
 * ```
 */
export async function textMatching(page: Page, selector: string, pattern: RegExp): Promise<string> {
  let text = '';
  await until(
    async () => pattern.test((text = (await page.locator(selector).textContent()) ?? '')),
    `${selector} to match ${pattern} (it shows ${JSON.stringify(text.slice(-200))})`,
    { everyMs: 100, timeoutMs: 30_000 },
  );
  return text;
}

/** A page that records the dialogs (alert, ...) it was asked to show. */
export type WatchedPage = Page & { readonly dialogs: string[] };

/**
 * Opens `base + path` in a new page, waits for the content, saves `<shots>/<name>.png`.
 *
 * @example
 * ```ts
 * const page = await openPage(browser, base, '/HelloFlow', shots, 'runs');
 * ```
 */
export async function openPage(
  browser: Browser,
  base: string,
  path: string,
  shots: string,
  name: string,
): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(`${base}${path}`);
  await page.waitForSelector('main#app > section, main#app > p');
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  return Object.assign(page, { dialogs });
}

/** What `uiHarness` holds for a test file: valid inside tests and hooks (set in its `before`). */
export interface UiHarness {
  /** The file's temp working folder (`ws.root`: a local datastore root). */
  readonly ws: Workspace;
  /** chromium, or undefined when it is not installed. */
  readonly browser: Browser | undefined;
  /** The folder the screenshots are saved in (printed after the file's tests). */
  readonly shots: string;
  /** True when the browser is there; skips the test otherwise (fails it under CI). */
  hasBrowser(t: { skip(message?: string): void }): boolean;
  /** Starts `stepflow ui ...args` in `ws.dir` with `env` added; resolves its base URL; stopped after the file. */
  startUi(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string>;
  /** Opens `base + path` in the browser and saves `<shots>/<shot>.png` (see `openPage`). */
  open(path: string, base: string, shot: string): Promise<WatchedPage>;
}

/**
 * Registers the `before` / `after` hooks of a `stepflow ui` test file: a workspace, a screenshot folder
 * (`<tmp>/<shotsPrefix>XXXXXX`) and the browser before its tests; after them, every `stepflow ui` server
 * started through the harness stopped, the browser closed, the workspace removed, the shots folder printed.
 * Call it at the top level of the test file.
 *
 * @example
 * ```ts
 * const ui = uiHarness('stepflow-ui-screens-');
 * it('lists the flows', async (t) => {
 *   if (!ui.hasBrowser(t)) return;
 *   const base = await ui.startUi(['--datastore-root', ui.ws.root]);
 *   const page = await ui.open('/', base, 'flows');
 * });
 * ```
 */
export function uiHarness(shotsPrefix: string): UiHarness {
  let ws: Workspace | undefined;
  let shots = '';
  let browser: Browser | undefined;
  const servers: ChildProcess[] = [];
  before(async () => {
    ws = await workspace();
    shots = await mkdtemp(join(tmpdir(), shotsPrefix));
    browser = await launchBrowser();
  });
  after(async () => {
    for (const s of servers) if (s.exitCode === null) s.kill('SIGTERM');
    await browser?.close();
    await ws?.cleanup();
    console.log(`screenshots: ${shots}`);
  });
  const started = (): Workspace => {
    if (!ws) throw new Error('uiHarness: used before its `before` hook ran (call it at the top level)');
    return ws;
  };
  return {
    get ws() {
      return started();
    },
    get browser() {
      return browser;
    },
    get shots() {
      return shots;
    },
    hasBrowser: (t) => hasBrowser(t, browser),
    startUi: (args, env = {}) => startUi(started().dir, args, env, servers),
    open: (path, base, shot) => {
      if (!browser) throw new Error('uiHarness: no browser (check hasBrowser(t) first)');
      return openPage(browser, base, path, shots, shot);
    },
  };
}
