/**
 * `stepflow ui` over a run with `@batch` steps on the local AWS Batch stand-in (moto + dockerd), in
 * chromium: the run page draws the @batch steps done, and a @batch task's page shows the job's record
 * (job id, queue, status, log stream) and the job's log.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { batchCliEnv, batchEnv } from '../../support/batch.js';
import { hasBrowser, launchBrowser, openPage, startUi, textMatching } from '../../support/browser.js';
import { runCli, type Workspace, workspace } from '../helpers.js';

const FLOW = join(fileURLToPath(new URL('.', import.meta.url)), 'flows', 'batch-flow.ts');

let ws: Workspace;
let shots: string;
let browser: Browser | undefined;
const servers: ChildProcess[] = [];

before(async () => {
  ws = await workspace();
  shots = await mkdtemp(join(tmpdir(), 'stepflow-ui-batch-screens-'));
  browser = await launchBrowser();
});

after(async () => {
  for (const s of servers) if (s.exitCode === null) s.kill('SIGTERM');
  await browser?.close();
  await ws.cleanup();
  console.log(`screenshots: ${shots}`);
});

describe('stepflow ui over @batch steps', () => {
  it('shows the @batch steps and a job record on the task page', async (t) => {
    if (!hasBrowser(t, browser) || !browser) return;
    const env = batchEnv(t);
    if (!env) return;
    const root = `s3://${env.bucket}/e2e-ui-${Date.now()}`;
    const cliEnv = batchCliEnv(env);
    const run = await runCli(['run', FLOW, '--width', '1', '--datastore', 's3', '--datastore-root', root], {
      cwd: ws.dir,
      env: cliEnv,
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const runId = /^BatchFlow\/(\d+)/m.exec(run.stdout)?.[1];
    const prepareId = /BatchFlow\/\d+\/prepare\/(\d+)\]/.exec(run.stdout)?.[1];
    assert.ok(runId && prepareId, run.stdout);
    const base = await startUi(ws.dir, ['--datastore-root', root], cliEnv, servers);
    const runPage = await openPage(browser, base, `/BatchFlow/${runId}`, shots, 'batch-run');
    for (const step of ['prepare', 'square_it', 'join']) {
      const node = runPage.locator(`svg.dag a.step[data-step="${step}"]`);
      assert.equal(await node.getAttribute('data-state'), 'successful', step);
    }
    const task = await openPage(
      browser,
      base,
      `/BatchFlow/${runId}/prepare/${prepareId}`,
      shots,
      'batch-task',
    );
    const record = (await task.locator('.record[data-record="batch"]').textContent()) ?? '';
    assert.match(record, /jobId\s*[0-9a-f-]{36}/);
    assert.match(record, new RegExp(`queue\\s*${env.queue}`));
    assert.match(record, /status\s*SUCCEEDED/);
    assert.match(record, /logStream/);
    await textMatching(task, '#stdout', /prepare on batch: greeting=hello/);
    const link = task.locator('a.log-console');
    assert.match(
      (await link.getAttribute('href')) ?? '',
      /^https:\/\/[a-z0-9-]+\.console\.aws\.amazon\.com\/cloudwatch\/home\?region=[a-z0-9-]+#logsV2:log-groups\/log-group\/\$252Faws\$252Fbatch\$252Fjob\/log-events\//,
      'the log stream as a link to the CloudWatch console',
    );
  });
});
