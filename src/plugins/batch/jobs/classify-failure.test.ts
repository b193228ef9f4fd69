import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobDetail } from '@aws-sdk/client-batch';
import { TailedStream } from '../logs/last-lines.js';
import { classifyFailure, type FailureInput, type FailureKind, reasonsOf } from './classify-failure.js';
import { runnableNotice, runnableVerdict, unplaceableMessage } from './stuck-runnable.js';

const STEP: FailureInput['step'] = {
  memory: 512,
  memoryFrom: '@batch',
  image: 'reg.example.com/app:1',
  timeout: { seconds: 3600, source: '@timeout(hours=1)' },
};

function job(fields: Partial<JobDetail>): JobDetail {
  return {
    jobId: 'j-1',
    jobName: 'n',
    jobQueue: 'q',
    jobDefinition: 'd',
    status: 'FAILED',
    ...fields,
  } as JobDetail;
}

const OOM_REASON = 'OutOfMemoryError: Container killed due to memory usage';

/** [name, input overrides, expected kind, patterns the message must match]. */
const CASES: [string, Partial<FailureInput>, FailureKind, RegExp[]][] = [
  [
    'user code: exit 3 with the last stderr lines',
    {
      job: job({ statusReason: 'Essential container in task exited', container: { exitCode: 3 } }),
      outputTail: ['Traceback', 'Error: boom'],
    },
    'user-code',
    [/^job j-1 failed/, /exited with code 3/, /\| Error: boom/],
  ],
  [
    "user code: exit code only from ListJobs (moto), said as AWS's reason",
    { job: job({ statusReason: 'Essential container in task exited' }), exitCode: 7 },
    'user-code',
    [/code 7/, /AWS: Essential container in task exited/, /printed nothing/],
  ],
  [
    "out of memory: AWS's real fields (container.reason, exit 137), memory set by @batch",
    {
      job: job({
        statusReason: 'Essential container in task exited',
        container: { exitCode: 137, reason: OOM_REASON },
      }),
    },
    'out-of-memory',
    [
      /ran out of memory \(OutOfMemoryError: Container killed due to memory usage, exit code 137\)/,
      /512 MiB/,
      /@batch option memory/,
      /memory: 1024/,
    ],
  ],
  [
    'out of memory: the reason only on the last attempt, memory from @resources',
    {
      job: job({ attempts: [{ container: { exitCode: 137, reason: OOM_REASON } }] }),
      step: { ...STEP, memoryFrom: '@resources' },
    },
    'out-of-memory',
    [/@resources\(\{ memory: 1024 \}\)/, /larger of @batch and @resources wins/],
  ],
  [
    'out of memory: exit 137 alone, default memory',
    { job: job({ container: { exitCode: 137 } }), step: { ...STEP, memory: 4096, memoryFrom: 'default' } },
    'out-of-memory',
    [/exit code 137, SIGKILL/, /4096 MiB \(the default/, /@batch\(\{ memory: 8192 \}\) or @resources/],
  ],
  [
    'timed out: the limit and its source (@timeout)',
    { job: job({ statusReason: 'Job attempt duration exceeded timeout' }) },
    'timed-out',
    [/timed out \(Job attempt duration exceeded timeout\)/, /1 h \(3600 s, set by @timeout\(hours=1\)\)/],
  ],
  [
    'timed out: the limit from METAFLOW_DEFAULT_RUNTIME_LIMIT',
    {
      job: job({ statusReason: 'Job attempt duration exceeded timeout' }),
      step: { ...STEP, timeout: { seconds: 432000, source: 'METAFLOW_DEFAULT_RUNTIME_LIMIT' } },
    },
    'timed-out',
    [/120 h \(432000 s, set by METAFLOW_DEFAULT_RUNTIME_LIMIT/, /give the step its own @timeout/],
  ],
  [
    'spot reclaimed: EC2 host terminated',
    { job: job({ statusReason: 'Host EC2 (instance i-0123456789abcdef0) terminated.' }) },
    'spot-reclaimed',
    [/spot capacity \(Host EC2 \(instance i-0123456789abcdef0\) terminated\.\)/],
  ],
  [
    'spot reclaimed: Fargate Spot interruption on the attempt',
    { job: job({ attempts: [{ statusReason: 'Your Spot Task was interrupted.' }] }) },
    'spot-reclaimed',
    [/Your Spot Task was interrupted\./],
  ],
  [
    'image pull failed: names the image and what to check',
    {
      job: job({
        statusReason: 'Task failed to start',
        container: {
          reason:
            'CannotPullContainerError: pull image manifest has been retried 1 time(s): reg.example.com/app:1: not found',
        },
      }),
    },
    'image-pull',
    [
      /image reg\.example\.com\/app:1 could not be pulled/,
      /CannotPullContainerError/,
      /METAFLOW_BATCH_CONTAINER_IMAGE/,
      /ecr:BatchGetImage/,
    ],
  ],
  [
    'terminated by stepflow: the TerminateJob reason',
    { job: job({ statusReason: 'stopped by stepflow: interrupted (Ctrl-C)', container: { exitCode: 143 } }) },
    'terminated-by-stepflow',
    [/terminated by stepflow \(stopped by stepflow: interrupted \(Ctrl-C\)\)/],
  ],
  [
    'terminated by stepflow: the kill reason wins over an OOM-looking exit',
    { job: job({ container: { exitCode: 137 } }), killedReason: 'timed out after 1m' },
    'terminated-by-stepflow',
    [/timed out after 1m/],
  ],
  [
    "unknown: AWS's reasons verbatim",
    {
      job: job({
        statusReason: 'Task failed to start',
        container: { reason: "ECS was unable to assume the role 'arn:aws:iam::1:role/x'" },
      }),
    },
    'unknown',
    [
      /failed: Task failed to start - ECS was unable to assume the role 'arn:aws:iam::1:role\/x' \(container exit code unknown\)/,
    ],
  ],
];

describe('classifyFailure', () => {
  for (const [name, overrides, kind, patterns] of CASES) {
    it(name, () => {
      const failure = classifyFailure({ pathspec: 'F/1/train/2', job: job({}), step: STEP, ...overrides });
      assert.equal(failure.kind, kind, failure.message);
      for (const p of patterns) assert.match(failure.message, p);
    });
  }

  it('reasonsOf keeps distinct, non-empty reasons in order', () => {
    const j = job({
      statusReason: 'A',
      container: { reason: 'B' },
      attempts: [{ statusReason: 'A', container: { reason: '' } }],
    });
    assert.deepEqual(reasonsOf(j), ['A', 'B']);
  });
});

describe('RUNNABLE reasons', () => {
  it('CAPACITY and UNDETERMINED wait; JOB_RESOURCE_REQUIREMENT and COMPUTE_ENVIRONMENT_MAX_RESOURCE fail', () => {
    assert.equal(runnableVerdict(undefined), 'none');
    assert.equal(runnableVerdict('CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - no capacity'), 'wait');
    assert.equal(runnableVerdict('UNDETERMINED - Batch job is blocked, root cause is undetermined.'), 'wait');
    assert.equal(runnableVerdict('MISCONFIGURATION:SERVICE_ROLE_PERMISSIONS - ...'), 'wait');
    assert.equal(runnableVerdict('MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - too big'), 'fail');
    assert.equal(runnableVerdict('MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - too big'), 'fail');
  });

  it('the notice names the pathspec, job id and reason; the failure names what was asked, the queue, the fix', () => {
    const j = job({ status: 'RUNNABLE', statusReason: 'CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - x' });
    assert.match(
      runnableNotice('F/1/s/2', j),
      /^F\/1\/s\/2: job j-1 is RUNNABLE: CAPACITY:.* \(waiting for capacity\)$/,
    );
    const text = unplaceableMessage({
      pathspec: 'F/1/s/2',
      jobId: 'j-1',
      queue: 'q',
      reason: 'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - x',
      step: { cpu: 96, memory: 800000, gpu: 2 },
    });
    for (const p of [
      /96 vCPU, 800000 MiB of memory, 2 GPU/,
      /queue q/,
      /METAFLOW_BATCH_JOB_QUEUE/,
      /terminated/,
    ]) {
      assert.match(text, p);
    }
  });
});

describe('TailedStream', () => {
  it('passes everything through and keeps the last task lines, not the launcher own', async () => {
    const s = new TailedStream(3);
    let out = '';
    s.on('data', (d: Buffer) => {
      out += d;
    });
    s.write('a\nb\n[@batch] F/1/s/2: job j is RUNNING\nc\r\nd');
    s.end('e\n');
    await new Promise((r) => s.on('end', r));
    assert.equal(out, 'a\nb\n[@batch] F/1/s/2: job j is RUNNING\nc\r\nde\n');
    assert.deepEqual(s.lines(), ['b', 'c', 'de']);
  });
});
