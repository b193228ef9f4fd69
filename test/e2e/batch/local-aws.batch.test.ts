/**
 * The local AWS Batch stand-in itself (no stepflow code): jobs submitted with the AWS SDK run as real
 * containers from the node-only image, reach moto's S3 and the credentials endpoint over loopback, end
 * SUCCEEDED or FAILED from their exit code, and leave their output in CloudWatch Logs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  BatchClient,
  DeregisterJobDefinitionCommand,
  RegisterJobDefinitionCommand,
  SubmitJobCommand,
} from '@aws-sdk/client-batch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import {
  type BatchTestEnv,
  batchEnv,
  exitCodeOf,
  jobLogLines,
  readBatchEnv,
  waitForJob,
} from '../../support/batch.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
let env: BatchTestEnv | undefined;
let batch: BatchClient;
let logs: CloudWatchLogsClient;
let jobDefinitionArn: string;
const key = `local-aws-test/${randomBytes(4).toString('hex')}.txt`;
const content = `object for the job ${key}`;

/**
 * The job's program: JSON lines on stdout (what it sees: /usr/bin, the credentials from the endpoint named
 * in the image's env, the S3 object read with them), one line on stderr, then exit with $EXIT_CODE.
 */
const JOB_SCRIPT = `(async () => {
  const say = (o) => console.log(JSON.stringify(o));
  say({ hello: 'from a stepflow job', node: process.version, usrBin: require('fs').readdirSync('/usr/bin') });
  const credsUrl = process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  const creds = await (await fetch(credsUrl)).json();
  say({ credsHost: new URL(credsUrl).hostname, accessKeyId: creds.AccessKeyId, hasToken: !!creds.Token,
        expiration: creds.Expiration, region: process.env.AWS_REGION });
  // moto denies anonymous reads and checks no signatures: a SigV4-shaped request with these keys will do.
  const scope = creds.AccessKeyId + '/20260101/' + process.env.AWS_REGION + '/s3/aws4_request';
  const res = await fetch(process.env.OBJECT_URL, { headers: {
    authorization: 'AWS4-HMAC-SHA256 Credential=' + scope + ', SignedHeaders=host, Signature=' + '0'.repeat(64),
    'x-amz-security-token': creds.Token, 'x-amz-date': '20260101T000000Z', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  say({ s3Status: res.status, s3Body: await res.text() });
  console.error('a line on stderr');
  process.exit(Number(process.env.EXIT_CODE));
})().catch((err) => { console.error('job error: ' + err.stack); process.exit(99); });`;

before(async () => {
  env = readBatchEnv();
  if (!env) return;
  const config = { endpoint: env.endpoint, region: env.region, credentials };
  batch = new BatchClient(config);
  logs = new CloudWatchLogsClient(config);
  const put = await fetch(`${env.endpoint}/${env.bucket}/${key}`, { method: 'PUT', body: content });
  assert.equal(put.status, 200, 'the test object is stored in moto S3');
  const def = await batch.send(
    new RegisterJobDefinitionCommand({
      jobDefinitionName: `stepflow-local-test-${randomBytes(3).toString('hex')}`,
      type: 'container',
      containerProperties: {
        image: env.image,
        command: ['node', '-e', '0'],
        resourceRequirements: [
          { type: 'VCPU', value: '1' },
          { type: 'MEMORY', value: '512' },
        ],
      },
    }),
  );
  jobDefinitionArn = def.jobDefinitionArn!;
});

after(async () => {
  if (!env) return;
  await batch.send(new DeregisterJobDefinitionCommand({ jobDefinition: jobDefinitionArn })).catch(() => {});
  batch.destroy();
  logs.destroy();
});

async function runJob(exitCode: number) {
  const started = performance.now();
  const submitted = await batch.send(
    new SubmitJobCommand({
      jobName: `local-aws-exit-${exitCode}`,
      jobQueue: env!.queue,
      jobDefinition: jobDefinitionArn,
      containerOverrides: {
        command: ['node', '-e', JOB_SCRIPT],
        environment: [
          { name: 'OBJECT_URL', value: `${env!.endpoint}/${env!.bucket}/${key}` },
          { name: 'EXIT_CODE', value: String(exitCode) },
        ],
      },
    }),
  );
  const { job, seen } = await waitForJob(batch, submitted.jobId!);
  const ms = Math.round(performance.now() - started);
  const lines = await jobLogLines(logs, job);
  const records = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { job, seen, ms, lines, record: Object.assign({}, ...records) as Record<string, unknown> };
}

describe('the local AWS Batch stand-in', () => {
  it('gives the machine no docker0 bridge: loopback only', (t) => {
    if (!batchEnv(t)) return;
    const ip = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    const links = ip.status === 0 ? ip.stdout : readdirSync('/sys/class/net').join('\n');
    assert.doesNotMatch(links, /\bdocker0\b/);
  });

  it('runs a node-only job that reaches the credentials endpoint and S3 on loopback, with its logs kept', async (t) => {
    if (!batchEnv(t)) return;
    const { job, seen, ms, lines, record } = await runJob(0);
    t.diagnostic(`exit 0 job: ${seen.join(' → ')} in ${ms} ms (submit to SUCCEEDED + logs read)`);
    assert.equal(job.status, 'SUCCEEDED', `job log:\n${lines.join('\n')}`);
    assert.equal(record.hello, 'from a stepflow job');
    assert.deepEqual(record.usrBin, ['node'], 'the image holds only node');
    assert.equal(record.credsHost, '127.0.0.1');
    assert.equal(record.accessKeyId, 'test');
    assert.equal(record.hasToken, true);
    assert.ok(Date.parse(String(record.expiration)) > Date.now(), 'credentials are not expired');
    assert.equal(record.region, env!.region);
    assert.equal(record.s3Status, 200);
    assert.equal(record.s3Body, content);
    assert.ok(lines.includes('a line on stderr'), 'stderr reaches CloudWatch Logs too');
  });

  it('ends FAILED with the exit code when the job exits 3, and keeps its logs', async (t) => {
    if (!batchEnv(t)) return;
    const { job, seen, ms, lines } = await runJob(3);
    t.diagnostic(`exit 3 job: ${seen.join(' → ')} in ${ms} ms`);
    assert.equal(job.status, 'FAILED');
    assert.equal(await exitCodeOf(batch, env!.queue, job), 3);
    assert.ok(lines.includes('a line on stderr'), `job log:\n${lines.join('\n')}`);
  });
});
