/**
 * `stepflow ui` over a run with `@batch` steps on the local AWS Batch stand-in (moto + dockerd), in
 * chromium: the run page draws the @batch steps done, and a @batch task's page shows the job's record
 * (job id, queue, status, log stream) and the job's log.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { batchCliEnv, batchEnv } from '../../support/batch.js';
import { textMatching, uiHarness } from '../../support/browser.js';
import { runCli } from '../helpers.js';

const FLOW = join(fileURLToPath(new URL('.', import.meta.url)), 'flows', 'batch-flow.ts');

const ui = uiHarness('stepflow-ui-batch-screens-');

describe('stepflow ui over @batch steps', () => {
  it('shows the @batch steps and a job record on the task page', async (t) => {
    if (!ui.hasBrowser(t)) return;
    const env = batchEnv(t);
    if (!env) return;
    const root = `s3://${env.bucket}/e2e-ui-${Date.now()}`;
    const cliEnv = batchCliEnv(env);
    const run = await runCli(['run', FLOW, '--width', '1', '--datastore', 's3', '--datastore-root', root], {
      cwd: ui.ws.dir,
      env: cliEnv,
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const runId = /^BatchFlow\/(\d+)/m.exec(run.stdout)?.[1];
    const prepareId = /BatchFlow\/\d+\/prepare\/(\d+)\]/.exec(run.stdout)?.[1];
    assert.ok(runId && prepareId, run.stdout);
    const base = await ui.startUi(['--datastore-root', root], cliEnv);
    const runPage = await ui.open(`/BatchFlow/${runId}`, base, 'batch-run');
    for (const step of ['prepare', 'square_it', 'join']) {
      const node = runPage.locator(`svg.dag a.step[data-step="${step}"]`);
      assert.equal(await node.getAttribute('data-state'), 'successful', step);
    }
    const task = await ui.open(`/BatchFlow/${runId}/prepare/${prepareId}`, base, 'batch-task');
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
