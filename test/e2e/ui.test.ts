/**
 * `stepflow ui` in a real browser (Debian's chromium driven by playwright-core): real runs made with the
 * CLI (a foreach, a failing flow, a flow whose artifact holds `<script>`), the server started with
 * `stepflow ui` on a free port, every page opened and read from the screen, a running task watched
 * turning done without reload, and the same pages on the S3 datastore (moto). A screenshot of each page
 * is saved under the test's output folder (printed at the end).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { FlowDatastore, LocalStorage } from '../../src/datastore/index.js';
import { awsEndpoint, createTestBucket, TEST_AWS_ENV } from '../support/aws.js';
import { textMatching, uiHarness, waitFor } from '../support/browser.js';
import { FLOWS, runCli, runFlow, startCli } from './helpers.js';

const harness = uiHarness('stepflow-ui-screens-');
const { hasBrowser, open, startUi } = harness;
const runs: Record<string, string> = {};

describe('stepflow ui on a local datastore', () => {
  let base: string;
  before(async () => {
    if (!harness.browser) return;
    for (const [file, args] of [
      ['foreach-flow.ts', ['--width', '5']],
      ['failing-flow.ts', []],
      ['ui-flow.ts', []],
    ] as const) {
      const r = await runFlow(harness.ws, file, args);
      runs[r.flowName] = r.runId;
    }
    base = await startUi(['--datastore-root', harness.ws.root]);
  });

  it('lists the flows, and the runs of a flow with status and a status filter', async (t) => {
    if (!hasBrowser(t)) return;
    const flows = await open('/', base, 'flows');
    assert.deepEqual(await flows.locator('ul.flows a').allTextContents(), [
      'FailingFlow',
      'ForeachFlow',
      'UiFlow',
    ]);
    const list = await open('/FailingFlow', base, 'runs');
    assert.equal(await list.locator('tbody tr').count(), 1);
    assert.equal(await list.locator('tbody tr .badge').textContent(), 'failed');
    const none = await open('/FailingFlow?status=successful', base, 'runs-filtered');
    assert.equal(await none.locator('tbody tr').count(), 0);
    assert.match((await none.locator('p.muted').textContent()) ?? '', /0 of 1 runs/);
  });

  it('draws a foreach run: the steps, their states and the foreach width, and a timeline', async (t) => {
    if (!hasBrowser(t)) return;
    const page = await open(`/ForeachFlow/${runs.ForeachFlow}`, base, 'run-foreach');
    const steps = page.locator('svg.dag a.step');
    assert.deepEqual(await steps.evaluateAll((els) => els.map((e) => e.getAttribute('data-step'))), [
      'start',
      'work',
      'join',
      'end',
    ]);
    const work = page.locator('svg.dag a.step[data-step="work"]');
    assert.equal(await work.getAttribute('data-state'), 'successful');
    assert.match((await work.textContent()) ?? '', /successful ×5/);
    assert.equal(await page.locator('.timeline .bar').count(), 8, 'one bar per attempt');
    assert.match((await page.locator('table').first().textContent()) ?? '', /width\s*5/);
  });

  it('says why a run failed and colours the failed step', async (t) => {
    if (!hasBrowser(t)) return;
    const page = await open(`/FailingFlow/${runs.FailingFlow}`, base, 'run-failed');
    assert.match(
      (await page.locator('.failure').textContent()) ?? '',
      /RangeError: the bad step failed on purpose/,
    );
    assert.equal(await page.locator('svg.dag a.step[data-step="bad"]').getAttribute('data-state'), 'failed');
    assert.equal(
      await page.locator('svg.dag a.step[data-step="join"]').getAttribute('data-state'),
      'pending',
    );
    const task = await open(`/FailingFlow/${runs.FailingFlow}/bad/3`, base, 'task-failed');
    assert.match((await task.locator('pre.error').textContent()) ?? '', /RangeError[\s\S]*throwDeep/);
  });

  it('pages a step and filters its tasks by state', async (t) => {
    if (!hasBrowser(t)) return;
    const page = await open(`/ForeachFlow/${runs.ForeachFlow}/work`, base, 'step');
    assert.equal(await page.locator('tbody tr').count(), 5);
    assert.deepEqual(await page.locator('tbody tr td:nth-child(3)').allTextContents(), [
      '0',
      '1',
      '2',
      '3',
      '4',
    ]);
    const failed = await open(`/ForeachFlow/${runs.ForeachFlow}/work?state=failed`, base, 'step-filtered');
    assert.equal(await failed.locator('tbody tr').count(), 0);
  });

  it('shows a task: artifacts as text (no script runs), a tagged preview, and its log', async (t) => {
    if (!hasBrowser(t)) return;
    const page = await open(`/UiFlow/${runs.UiFlow}/start/1`, base, 'task');
    const rows = page.locator('table tbody tr');
    const markup = rows.filter({ hasText: 'markup' });
    assert.equal(
      await markup.locator('pre.json').textContent(),
      '"<script>alert(1)</script><img src=x onerror=alert(2)>"',
    );
    assert.equal(await page.locator('main script, main img').count(), 0, 'the markup is not parsed');
    assert.deepEqual(page.dialogs, [], 'no script ran');
    assert.match((await rows.filter({ hasText: 'table' }).textContent()) ?? '', /"\$type": "BigInt"/);
    await textMatching(page, '#stdout', /ui-flow says hello from start/);
    const href = await markup.locator('a').getAttribute('href');
    const res = await fetch(`${base}${href}`);
    assert.equal(await res.text(), '<script>alert(1)</script><img src=x onerror=alert(2)>');
    assert.match(res.headers.get('content-disposition') ?? '', /attachment/);
  });

  it('turns a running task done without a reload', async (t) => {
    if (!hasBrowser(t)) return;
    const gate = join(harness.ws.dir, 'gate');
    const run = startCli(['run', join(FLOWS, 'ui-flow.ts'), '--datastore-root', harness.ws.root], {
      cwd: harness.ws.dir,
      env: { UI_FLOW_GATE: gate },
    });
    let out = '';
    run.child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const runId = await waitFor(() => /^UiFlow\/(\d+)/m.exec(out)?.[1], 'the run id');
    await waitFor(
      () => existsSync(join(harness.ws.root, 'UiFlow', runId, 'wait', '2', '0.attempt.json')) || undefined,
      'the wait task to start',
    );
    const task = await open(`/UiFlow/${runId}/wait/2`, base, 'task-running');
    const logAsks: string[] = [];
    task.on('request', (r) => {
      if (r.url().includes('/api/log/')) logAsks.push(r.url());
    });
    const runPage = await open(`/UiFlow/${runId}`, base, 'run-running');
    assert.equal(await task.locator('h1 .badge').textContent(), 'running');
    await textMatching(task, '#stdout', /waiting for/);
    await waitFor(() => logAsks.find((u) => /[?&]cursor=\d+%3A\d+/.test(u)), 'a log request from a cursor');
    assert.equal(
      await runPage.locator('svg.dag a.step[data-step="wait"]').getAttribute('data-state'),
      'running',
    );
    await task.evaluate(() => {
      (globalThis as unknown as { marker: number }).marker = 1;
    });
    await writeFile(gate, '');
    await task.waitForSelector('h1 .badge[data-state="successful"]', { timeout: 30_000 });
    await runPage.waitForSelector('svg.dag a.step[data-step="wait"][data-state="successful"]', {
      timeout: 30_000,
    });
    await runPage.waitForSelector('h1 .badge[data-state="successful"]', { timeout: 30_000 });
    assert.equal(
      await task.evaluate(() => (globalThis as unknown as { marker?: number }).marker),
      1,
      'no reload',
    );
    assert.equal(
      (await task.locator('#stdout').textContent())?.match(/waiting for/g)?.length,
      1,
      'appended once',
    );
    await task.screenshot({ path: join(harness.shots, 'task-done.png'), fullPage: true });
    await runPage.screenshot({ path: join(harness.shots, 'run-done.png'), fullPage: true });
    assert.equal((await run.result).code, 0);
  });
});

describe('stepflow ui on the S3 datastore (moto)', () => {
  it('shows a run and a task stored in S3', async (t) => {
    if (!hasBrowser(t)) return;
    const endpoint = awsEndpoint(t);
    if (!endpoint) return;
    const root = `s3://${await createTestBucket(endpoint, 'stepflow-ui')}/runs`;
    const env = { ...TEST_AWS_ENV, METAFLOW_S3_ENDPOINT_URL: endpoint };
    const r = await runCli(
      ['run', join(FLOWS, 'ui-flow.ts'), '--datastore', 's3', '--datastore-root', root],
      {
        cwd: harness.ws.dir,
        env,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const runId = /^UiFlow\/(\d+)/m.exec(r.stdout)?.[1];
    const base = await startUi(['--datastore-root', root], env);
    const runPage = await open(`/UiFlow/${runId}`, base, 's3-run');
    assert.equal(await runPage.locator('h1 .badge').textContent(), 'successful');
    assert.equal(await runPage.locator('svg.dag a.step').count(), 3);
    const task = await open(`/UiFlow/${runId}/start/1`, base, 's3-task');
    assert.match((await task.locator('table').first().textContent()) ?? '', /<script>alert\(1\)<\/script>/);
    await textMatching(task, '#stdout', /ui-flow says hello from start/);
  });
});

/**
 * Writes a SpotFlow run (start → end) by hand into a local datastore at `root`: the run record, and the
 * first attempt of `start/1` begun at `startedAt` (`start` carrying `startDecorators`). Returns the
 * datastore and that task's, for the caller to add the attempt's side records.
 */
async function writeSpotRun(
  root: string,
  runId: string,
  startedAt: string,
  startDecorators: { name: string; options: Record<string, unknown>; line: number }[] = [],
) {
  const fds = new FlowDatastore(new LocalStorage(root), 'SpotFlow');
  const steps = {
    start: { name: 'start', kind: 'linear', next: ['end'], decorators: startDecorators },
    end: { name: 'end', kind: 'end', next: [], decorators: [] },
  };
  const graph = {
    flowName: 'SpotFlow',
    file: 'f.ts',
    line: 1,
    steps,
    order: ['start', 'end'],
    parameters: [],
  };
  await fds.writeRun({
    flowName: 'SpotFlow',
    runId,
    user: 'ana',
    tags: [],
    startedAt,
    graph,
    parameters: {},
  });
  const td = fds.task(runId, 'start', '1');
  await td.writeAttemptStart({ attempt: 0, startedAt, inputs: [], foreachStack: [] });
  return { fds, td };
}

describe('stepflow ui: records kept beside attempts (written by the test: no spot reclaim or array job here)', () => {
  it('fake records: draws resubmitted jobs on the timeline, links the log stream, names the array child', async (t) => {
    if (!hasBrowser(t)) return;
    const root = join(harness.ws.dir, 'fake-records');
    const runId = '1700000000000000';
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const iso = (s: number) => new Date(t0 + s * 1000).toISOString();
    const { fds, td } = await writeSpotRun(root, runId, iso(0), [{ name: 'batch', options: {}, line: 2 }]);
    const batch = {
      jobId: 'job-3',
      queue: 'arn:aws:batch:eu-west-1:123456789012:job-queue/spot',
      logGroup: '/aws/batch/job',
      logStream: 'def/default/abc',
      status: 'SUCCEEDED',
      arrayJobId: 'parent-7',
      index: 4,
      reclaimed: [
        { jobId: 'job-1', reason: 'Host EC2 (instance i-1) terminated.', at: iso(20) },
        { jobId: 'job-2', reason: 'Host EC2 (instance i-2) terminated.', at: iso(50) },
      ],
    };
    await fds.storage.put(`${td.attemptPrefix(0)}batch.json`, Buffer.from(JSON.stringify(batch)));
    await td.writeDone(0, { attempt: 0, ok: true, endedAt: iso(100) });
    await fds.writeRunStatus(runId, { status: 'successful', endedAt: iso(101) });
    const ui = await startUi(['--datastore-root', root]);

    const run = await open(`/SpotFlow/${runId}`, ui, 'run-spot');
    const marks = run.locator('.timeline .tl-mark');
    assert.deepEqual(await marks.evaluateAll((els) => els.map((e) => e.getAttribute('data-job'))), [
      'job-1',
      'job-2',
    ]);
    const left = await marks.evaluateAll((els) =>
      els.map((e) => Number.parseFloat((e as unknown as { style: { left: string } }).style.left)),
    );
    assert.deepEqual(left.map(Math.round), [20, 50], 'at the times of the reclaims');
    assert.match((await run.locator('.tl-label').textContent()) ?? '', /start\/1 \(2 resubmitted\)/);

    const task = await open(`/SpotFlow/${runId}/start/1`, ui, 'task-spot');
    assert.equal(
      await task.locator('a.log-console').getAttribute('href'),
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/' +
        '$252Faws$252Fbatch$252Fjob/log-events/def$252Fdefault$252Fabc',
    );
    assert.equal(await task.locator('a.log-console').textContent(), 'def/default/abc');
    assert.equal(await task.locator('.array-child').textContent(), 'array job parent-7, child 4');
  });

  it("fake record: a spot reclaim written into a running attempt's record appears on the timeline without a reload", async (t) => {
    if (!hasBrowser(t)) return;
    const root = join(harness.ws.dir, 'fake-reclaim');
    const runId = '1700000000000001';
    const at = '2026-01-01T00:00:00.000Z';
    const { fds, td } = await writeSpotRun(root, runId, at);
    const key = `${td.attemptPrefix(0)}batch.json`;
    await fds.storage.put(key, Buffer.from(JSON.stringify({ jobId: 'job-1', status: 'RUNNING' })));
    const ui = await startUi(['--datastore-root', root]);
    const run = await open(`/SpotFlow/${runId}`, ui, 'run-spot-running');
    await run.waitForSelector('.timeline .tl-label');
    assert.equal(await run.locator('.timeline .tl-mark').count(), 0);
    await run.evaluate(() => {
      (globalThis as unknown as { marker: number }).marker = 1;
    });
    const reclaimed = [{ jobId: 'job-1', reason: 'Host EC2 (instance i-1) terminated.', at }];
    await fds.storage.put(
      key,
      Buffer.from(JSON.stringify({ jobId: 'job-2', status: 'RUNNABLE', reclaimed })),
    );
    await run.waitForSelector('.timeline .tl-mark[data-job="job-1"]', { timeout: 30_000 });
    assert.equal(
      await run.evaluate(() => (globalThis as unknown as { marker?: number }).marker),
      1,
      'no reload',
    );
  });
});
