#!/usr/bin/env node
/**
 * The ONE test command (`npm test`; CI runs `npm ci && npm test` through `.ci/run`).
 *
 * Steps, in order, each with a header and its duration; the first failure stops the run:
 *   1. build      `npm run build` (tsc -p tsconfig.build.json; the CLI and e2e tests use dist/)
 *   2. lint       `biome check .` (files ignored by .gitignore left out)
 *      deps       the folder boundaries of src/ (scripts/check-deps.mjs: dependency-cruiser with
 *                 .dependency-cruiser.cjs; a new import against the layer table fails)
 *   3. typecheck  `tsc -p tsconfig.json --noEmit` (tests, bench, examples included)
 *   4. unit       `node --import tsx --test` on src/**\/*.test.ts, plus scripts/, bench/ and test/support/ tests
 *                 (concurrency 2)
 *      e2e        the same on test/e2e/**\/*.test.ts (concurrency 1, a per-test timeout)
 *   5. node22, node24  the example flow and a short smoke (dump, a failing flow) on the pinned Node 22 and 24
 *
 * Services, started here on first need and stopped by PID at the end (loopback only):
 *   - moto (S3, Batch, Logs stand-in) on a free port, for every test run: STEPFLOW_TEST_AWS_ENDPOINT;
 *   - the local AWS Batch stand-in (scripts/aws-local.mjs: dockerd with no bridge, the node-only job image,
 *     the job credentials endpoint, a job queue and bucket on that moto) only when a selected test file
 *     needs it (under test/e2e/batch/ or named *.batch.test.ts): STEPFLOW_TEST_BATCH_QUEUE/_IMAGE/_BUCKET.
 *     Under CI=true a missing docker.io is apt-installed; locally those tests skip without it.
 *   - Debian's chromium for the browser tests (test/e2e/ui*.test.ts, scripts/lib/chromium.mjs):
 *     STEPFLOW_TEST_CHROMIUM. Apt-installed when missing under CI=true or STEPFLOW_INSTALL_BROWSER=1.
 *
 * The CI rule: with CI=true, a test that would skip because a service it needs is missing must fail
 * instead (tests read `process.env.CI`, or use `needService` from scripts/ci-rules.mjs). The same
 * rule applies here: under CI a missing example flow, or no test file at all, is a failure.
 *
 * The closing `# pass N` / `# fail N` lines (node:test's summary, added over both test runs) and a
 * plain `tests: N passed, N failed, N skipped` line are printed last on stdout: CI reads them.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { needsLocalAws } from './aws-local.mjs';
import { isCI } from './ci-rules.mjs';
import { ensureChromium, needsBrowser } from './lib/chromium.mjs';
import { which } from './lib/docker.mjs';
import { reexecOnHostNode } from './lib/host-node.mjs';
import { motoAvailable, startMoto } from './lib/moto.mjs';
import { installNodeLine, nodeLineSmoke } from './lib/node-line-smoke.mjs';
import { describeExit, formatDuration, hostNodeEnv, runCommand } from './lib/proc.mjs';
import { addSummaries, formatClosingLines, readTapSummary } from './lib/tap-summary.mjs';
import { selectTests, TEST_DIRS } from './lib/test-files.mjs';
import { NODE_LINES } from './node-lines.mjs';

const SCRIPT = fileURLToPath(import.meta.url);
reexecOnHostNode(SCRIPT);

const ROOT = path.resolve(path.dirname(SCRIPT), '..');
const MIN = 60_000;
const envMs = (name, fallback) => Number(process.env[name]) || fallback;
const LIMITS = {
  build: 10 * MIN,
  lint: 5 * MIN,
  deps: 5 * MIN,
  typecheck: 10 * MIN,
  unit: envMs('STEPFLOW_UNIT_STEP_TIMEOUT_MS', 20 * MIN),
  e2e: envMs('STEPFLOW_E2E_STEP_TIMEOUT_MS', 45 * MIN),
  node22: 5 * MIN,
  node24: 5 * MIN,
};
/** Per-test timeouts handed to node:test (`--test-timeout`). */
const TEST_TIMEOUT = {
  // A bound against hangs, not a timed assertion: the type-level test (a whole TypeScript program) takes
  // ~15 s alone and over 60 s on a machine busy with other work.
  unit: envMs('STEPFLOW_UNIT_TEST_TIMEOUT_MS', 180_000),
  e2e: envMs('STEPFLOW_E2E_TEST_TIMEOUT_MS', 180_000),
};
const BIOME_VCS = ['--vcs-enabled=true', '--vcs-client-kind=git', '--vcs-use-ignore-file=true'];
const LINE_STEPS = NODE_LINES.map((major) => `node${major}`);
const ONLY = ['unit', 'e2e', 'lint', 'node', ...LINE_STEPS];
const USAGE = `usage: node scripts/test.mjs [--only unit|e2e|lint|node|node22|node24] [--no-build] [FILE|DIR|TEXT ...]

  (no arguments)   everything: build, lint, deps, typecheck, unit tests, e2e tests, Node 22 and 24 checks
  --only unit      unit tests (src/**/*.test.ts, scripts/, bench/, test/support/) only
  --only e2e       build, then e2e tests (test/e2e/**/*.test.ts)
  --only lint      build, biome check, folder boundaries (deps), typecheck
  --only node      build, then the checks on every pinned Node line (22, 24)
  --only node24    build, then the Node 24 check (node22 likewise)
  --no-build       skip \`npm run build\` (use the dist/ you have)
  FILE|DIR|TEXT    run only these tests: a test file, a folder, or part of a path (build first if e2e)

  CI=true          a test or example that would be skipped for a missing service fails instead
  npm test -- ARGS passes ARGS through npm`;

const ci = isCI();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-test-'));
const done = [];
const summaries = [];
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

/** The moto server (S3/Batch/Logs stand-in) shared by the unit and e2e runs, started on first need. */
let moto;
/** The local AWS Batch stand-in (docker + job image + credentials endpoint + queue), for batch tests only. */
let localAws;
let localAwsTried = false;
const LOG_DIR = path.join(ROOT, '.ci', 'logs');
process.on('exit', stopServices);

main().catch((err) => fail('test runner', err.stack ?? String(err)));

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  // Remember which python3 this PATH means before test processes get the host node's folder first on PATH.
  if (!process.env.STEPFLOW_PYTHON) {
    const found = spawnSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).stdout.trim();
    if (found) process.env.STEPFLOW_PYTHON = found;
  }
  const plan = planSteps(opts);
  // The pinned Node binaries live apart (tools/node22, tools/node24) so their `node` never shadows Node 20;
  // install them once, since the unit tests and the node<major> steps use them.
  for (const major of NODE_LINES) {
    const error = await installNodeLine(ROOT, major, { timeoutMs: LIMITS[`node${major}`] });
    if (error) fail('setup', error);
  }
  process.stdout.write(
    `stepflow tests — node ${process.version} (${process.execPath})${ci ? ', CI=true: skips for missing services fail' : ''}\n` +
      `steps: ${plan.map((s) => s.name).join(', ')}\n`,
  );
  for (const [i, step] of plan.entries()) {
    process.stdout.write(`\n━━ [${i + 1}/${plan.length}] ${step.name}: ${step.title}\n`);
    const started = performance.now();
    const outcome = await step.run();
    const ms = performance.now() - started;
    done.push({ name: step.name, status: outcome.status, ms });
    if (outcome.status === 'failed') fail(step.name, outcome.message, ms);
    const mark = outcome.status === 'skipped' ? '﹣' : '✔';
    process.stdout.write(
      `${mark} ${step.name} ${outcome.status} (${formatDuration(ms)})${outcome.message ? `: ${outcome.message}` : ''}\n`,
    );
  }
  const ranTests = plan.some((s) => s.name === 'unit' || s.name === 'e2e');
  if (ranTests && ci && addSummaries(summaries).tests === 0) {
    fail('tests', 'no test was executed (CI=true requires at least one test)');
  }
  finish(0);
}

function parseArgs(argv) {
  const opts = { only: undefined, build: true, filters: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (arg === '--only' || arg.startsWith('--only=')) {
      opts.only = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      if (!ONLY.includes(opts.only)) usageError(`--only takes one of ${ONLY.join(', ')} (got ${opts.only})`);
    } else if (arg === '--no-build') {
      opts.build = false;
    } else if (arg.startsWith('-')) {
      usageError(`unknown option ${arg}`);
    } else {
      opts.filters.push(arg);
    }
  }
  if (opts.only && opts.filters.length > 0) usageError('give either --only or test files, not both');
  return opts;
}

function planSteps(opts) {
  const base = process.env.INIT_CWD ?? process.cwd();
  let tests;
  try {
    tests = selectTests(
      ROOT,
      opts.filters.map((f) => resolveFilter(base, f)),
    );
  } catch (err) {
    usageError(err.message);
  }
  const all = {
    build: {
      title: 'npm run build',
      run: () => command('npm', ['run', 'build'], 'build', 'fix the build errors above'),
    },
    // Honour .gitignore, so generated files (.stepflow-cache/ bundles beside flows, bench/results/)
    // are not linted; a clean clone has none, so this only spares developers false failures.
    lint: {
      title: 'biome check . (minus .gitignore)',
      run: () => command(bin('biome'), ['check', ...BIOME_VCS, '.'], 'lint', lintHint()),
    },
    deps: {
      title: 'folder boundaries of src/ (dependency-cruiser, .dependency-cruiser.cjs)',
      run: () =>
        command(
          process.execPath,
          [path.join(ROOT, 'scripts/check-deps.mjs')],
          'deps',
          'an import crosses the layer table (see ARCHITECTURE.md "The boundary check"); `npm run deps:check`',
        ),
    },
    typecheck: {
      title: 'tsc -p tsconfig.json --noEmit',
      run: () =>
        command(
          process.execPath,
          [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit'],
          'typecheck',
          'fix the type errors above (npm run typecheck)',
        ),
    },
    unit: {
      title: `node --test, ${TEST_DIRS.unit.join('|')}/**/*.test.*`,
      run: () => runTests('unit', tests.unit),
    },
    e2e: {
      title: `node --test, ${TEST_DIRS.e2e.join('|')}/**/*.test.ts`,
      run: () => runTests('e2e', tests.e2e),
    },
    ...Object.fromEntries(
      NODE_LINES.map((major) => [
        `node${major}`,
        {
          title: `Node ${major} runs examples/hello-flow.ts, reads it back, and fails a failing flow`,
          run: () => nodeLineSmoke(ROOT, major, { ci, timeoutMs: LIMITS[`node${major}`] }),
        },
      ]),
    ),
  };
  let names;
  if (opts.filters.length > 0) {
    names = [
      tests.e2e.length > 0 ? 'build' : '',
      tests.unit.length > 0 ? 'unit' : '',
      tests.e2e.length > 0 ? 'e2e' : '',
    ];
  } else {
    names = {
      undefined: ['build', 'lint', 'deps', 'typecheck', 'unit', 'e2e', ...LINE_STEPS],
      unit: ['unit'],
      e2e: ['build', 'e2e'],
      lint: ['build', 'lint', 'deps', 'typecheck'],
      node: ['build', ...LINE_STEPS],
      ...Object.fromEntries(LINE_STEPS.map((step) => [step, ['build', step]])),
    }[String(opts.only)];
  }
  return names.filter((n) => n && (opts.build || n !== 'build')).map((name) => ({ name, ...all[name] }));
}

function resolveFilter(base, filter) {
  const abs = path.resolve(base, filter);
  return fs.existsSync(abs) ? abs : filter;
}

async function command(cmd, args, name, hint) {
  const result = await runCommand(cmd, args, { cwd: ROOT, env: hostNodeEnv(), timeoutMs: LIMITS[name] });
  if (result.code === 0) return { status: 'passed' };
  return {
    status: 'failed',
    message: `\`${[path.basename(cmd), ...args].join(' ')}\` ${describeExit(result, LIMITS[name])}; ${hint}`,
  };
}

/**
 * Environment for test processes: STEPFLOW_TEST_AWS_ENDPOINT points at a moto server started here on a free
 * loopback port; when `files` include batch tests, STEPFLOW_TEST_BATCH_* name the local Batch stand-in on it.
 * Without them, tests that need them skip locally and fail under CI=true.
 */
async function serviceEnv(files) {
  if (!moto && motoAvailable()) {
    moto = await startMoto({ logDir: LOG_DIR });
    process.stdout.write(`moto server on ${moto.url} (pid ${moto.pid})\n`);
  } else if (!moto && ci) {
    fail(
      'services',
      "moto is not importable by python3 (python3 -c 'import moto, moto.server, flask, flask_cors')",
    );
  }
  if (moto && !localAwsTried && needsLocalAws(files)) await startBatchStandIn();
  const chromium = needsBrowser(files)
    ? await ensureChromium({ logDir: LOG_DIR, install: ci || process.env.STEPFLOW_INSTALL_BROWSER === '1' })
    : undefined;
  return {
    ...(chromium ? { STEPFLOW_TEST_CHROMIUM: chromium } : {}),
    ...(moto ? { STEPFLOW_TEST_AWS_ENDPOINT: moto.url } : {}),
    ...(localAws
      ? {
          STEPFLOW_TEST_BATCH_QUEUE: localAws.settings.queue,
          STEPFLOW_TEST_BATCH_IMAGE: localAws.settings.image,
          STEPFLOW_TEST_BATCH_BUCKET: localAws.settings.bucket,
          STEPFLOW_TEST_BATCH_REGION: localAws.settings.region,
        }
      : {}),
  };
}

/** Starts the local AWS Batch stand-in on the shared moto; a failure fails the run with the log folder. */
async function startBatchStandIn() {
  localAwsTried = true;
  if (!ci && !which('dockerd')) {
    process.stdout.write(
      'batch tests will skip: dockerd is not installed (CI installs docker.io; so does `npm run aws:local`)\n',
    );
    return;
  }
  const { startLocalAws } = await import('./aws-local.mjs');
  try {
    localAws = await startLocalAws({
      logDir: LOG_DIR,
      motoUrl: moto.url,
      install: ci,
      log: (line) => process.stdout.write(`aws-local: ${line}\n`),
    });
  } catch (err) {
    fail('services', `the local AWS Batch stand-in did not start: ${err.message} (logs in ${LOG_DIR})`);
  }
  const times = Object.entries(localAws.timings).map(([k, v]) => `${k} ${formatDuration(v)}`);
  process.stdout.write(`local AWS Batch stand-in ready (${times.join(', ')})\n`);
}

async function runTests(kind, files) {
  if (files.length === 0) {
    return {
      status: 'skipped',
      message: `no ${kind} test files (*.test.ts under ${TEST_DIRS[kind].join('/, ')}/)`,
    };
  }
  const tap = path.join(tmp, `${kind}.tap`);
  const args = [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    `--test-concurrency=${kind === 'unit' ? 2 : 1}`,
    `--test-timeout=${TEST_TIMEOUT[kind]}`,
    ...files,
  ];
  process.stdout.write(`${files.length} file(s); per-test timeout ${formatDuration(TEST_TIMEOUT[kind])}\n`);
  const result = await runCommand(process.execPath, args, {
    cwd: ROOT,
    env: { ...hostNodeEnv(), ...(await serviceEnv(files)) },
    timeoutMs: LIMITS[kind],
  });
  const summary = readTapSummary(tap);
  if (summary) summaries.push(summary);
  const failed = summary ? summary.fail + summary.cancelled : undefined;
  if (result.code === 0 && failed === 0) {
    return { status: 'passed', message: `${summary.pass} passed, ${summary.skipped + summary.todo} skipped` };
  }
  const counts = summary ? `${failed} of ${summary.tests} failed` : 'the test runner wrote no summary';
  return {
    status: 'failed',
    message:
      `${kind} tests: ${counts} (${describeExit(result, LIMITS[kind])}); see "failing tests" above. ` +
      `Re-run one file with: npm test -- <file>`,
  };
}

/**
 * Stops the services this script started, by PID (they would outlive process.exit otherwise): moto, then
 * the Batch stand-in (its job containers, credentials endpoint and dockerd), waiting up to 15 s for dockerd.
 * Synchronous, so it also runs from the 'exit' handler after an interrupt; calling it twice is harmless.
 */
function stopServices() {
  if (moto) {
    try {
      process.kill(moto.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  if (localAws) {
    const { dockerdPid } = localAws.settings;
    localAws.stop(); // sends every signal synchronously
    localAws = undefined;
    if (dockerdPid) waitForExitSync(dockerdPid, 15_000);
  }
}

function waitForExitSync(pid, timeoutMs) {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let state;
    try {
      state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    } catch {
      return;
    }
    if (state === 'Z') return;
    Atomics.wait(sleeper, 0, 0, 100);
  }
}

function bin(name) {
  const file = path.join(ROOT, 'node_modules', '.bin', name);
  if (!fs.existsSync(file)) fail(name, `${file} is missing: run \`npm ci\` first`);
  return file;
}

function lintHint() {
  return 'fix the findings above; `npx biome check --write <paths>` applies the safe fixes';
}

function usageError(message) {
  process.stderr.write(`error: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function fail(step, message, ms) {
  if (ms !== undefined && !done.some((d) => d.name === step)) done.push({ name: step, status: 'failed', ms });
  process.stdout.write(`\n✖ ${step} FAILED: ${message}\n`);
  finish(1);
}

function finish(code) {
  stopServices();
  process.stdout.write('\n━━ summary\n');
  for (const d of done) {
    const mark = { passed: '✔', skipped: '﹣', failed: '✖' }[d.status];
    process.stdout.write(`  ${mark} ${d.name.padEnd(10)} ${d.status.padEnd(8)} ${formatDuration(d.ms)}\n`);
  }
  process.stdout.write(code === 0 ? 'all steps passed\n' : 'FAILED\n');
  // Last on stdout, for CI: node:test's closing counters over all test runs, then the plain line.
  if (summaries.length > 0)
    process.stdout.write(`${formatClosingLines(addSummaries(summaries)).join('\n')}\n`);
  process.exit(code);
}
