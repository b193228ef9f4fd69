/**
 * The launcher when DescribeJobs fails (fake Batch API answering AccessDenied or 503: what no local
 * server shows on demand), and the region it hands to jobs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SubmitJobCommandInput } from '@aws-sdk/client-batch';
import { FakeBatchApi } from '../../../../test/support/fake-batch-api.js';
import { collect, fakeLaunchSpec, testLauncher } from '../../../../test/support/fake-launch.js';

function launcher(api: FakeBatchApi, env: Record<string, string>) {
  return testLauncher({ api, env: { METAFLOW_DATASTORE_SYSROOT_S3: 's3://bucket/runs', ...env } });
}

function awsError(name: string, status: number, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

describe('BatchLauncher when DescribeJobs fails (fake Batch API)', () => {
  it('fails the attempt at once on AccessDenied, naming batch:DescribeJobs, and leaves the job running', async () => {
    const api = new FakeBatchApi();
    let describes = 0;
    api.describeJobs = async () => {
      describes++;
      throw awsError('AccessDeniedException', 403, 'not authorized to perform: batch:DescribeJobs');
    };
    const { launcher: l, notices } = launcher(api, {});
    const task = l.launch(fakeLaunchSpec('train'));
    const [, stderr, outcome] = await Promise.all([collect(task.stdout), collect(task.stderr), task.done]);
    l.close();
    assert.equal(describes, 1, 'no retry of a refused permission');
    assert.equal(outcome.exitCode, null);
    assert.match(outcome.killedReason ?? '', /F\/1\/train\/2: job job-1 is no longer followed/);
    assert.match(outcome.killedReason ?? '', /batch:DescribeJobs/);
    assert.match(outcome.killedReason ?? '', /stepflow batch kill <flow file> --run-id 1/);
    assert.match(stderr, /batch:DescribeJobs/);
    assert.ok(notices.some((n) => /batch:DescribeJobs/.test(n)));
    assert.equal(api.count('TerminateJob'), 0, 'the job is left for stepflow batch kill');
  });

  it('fails the attempt once DescribeJobs answered 503 for longer than STEPFLOW_BATCH_API_DEADLINE_S', async () => {
    const api = new FakeBatchApi();
    let describes = 0;
    api.describeJobs = async () => {
      describes++;
      throw awsError('ServerException', 503, 'Service Unavailable');
    };
    const { launcher: l } = launcher(api, { STEPFLOW_BATCH_API_DEADLINE_S: '1' });
    const task = l.launch(fakeLaunchSpec('train'));
    const [, , outcome] = await Promise.all([collect(task.stdout), collect(task.stderr), task.done]);
    l.close();
    assert.ok(describes >= 2, `retried before giving up (${describes} calls)`);
    assert.match(outcome.killedReason ?? '', /DescribeJobs has failed for \d+ s \(last: 503 ServerException/);
    assert.match(outcome.killedReason ?? '', /job job-1 may still be running on AWS Batch/);
    assert.equal(api.count('TerminateJob'), 0);
  });

  it('gives a job the launching side region when only AWS_DEFAULT_REGION is set', async () => {
    const api = new FakeBatchApi();
    const { launcher: l } = launcher(api, { AWS_DEFAULT_REGION: 'eu-west-3' });
    const task = l.launch(fakeLaunchSpec('train'));
    await Promise.all([collect(task.stdout), collect(task.stderr), task.done]);
    l.close();
    const submit = api.calls.find(([a]) => a === 'SubmitJob')?.[1] as SubmitJobCommandInput;
    const env = Object.fromEntries(
      (submit.containerOverrides?.environment ?? []).map((e) => [e.name, e.value]),
    );
    assert.equal(env.AWS_REGION, 'eu-west-3');
    assert.equal(env.AWS_DEFAULT_REGION, 'eu-west-3');
  });
});
