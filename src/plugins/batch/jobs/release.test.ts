import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { JobDetail } from '@aws-sdk/client-batch';
import { batchStep } from '../../../../test/support/fake-launch.js';
import { ArrayGrouper, type Submitted } from './array-group.js';
import type { JobRequest } from './array-manifest.js';
import { BatchJob } from './batch-job.js';
import type { JobPoller } from './poller.js';
import type { PreparedStep } from './prepare.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** True once nothing holds the object of `ref` (after a few collections; WeakRefs clear between turns). */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 5 && ref.deref() !== undefined; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
  return ref.deref() === undefined;
}

function request(name: string): JobRequest {
  return {
    jobName: `jane-F-1-train-${name}-0`,
    jobQueue: 'q',
    jobDefinition: 'd',
    containerOverrides: {
      command: ['node', '-e', 'x', 'step', JSON.stringify({ taskId: name, pad: 'x'.repeat(4096) })],
    },
  } as JobRequest;
}

describe('@batch per-child state released once sent (WeakRef + gc)', () => {
  it("an array's children, while they run, keep none of the group's requests", async () => {
    const grouper = new ArrayGrouper({
      max: 100,
      submit: async () => ({ jobId: 'parent' }),
      manifest: () => ({ key: 'k/', url: 's3://b/k/' }),
      writeChunk: async () => {},
    });
    const refs: WeakRef<object>[] = [];
    const held: Submitted[] = [];
    await Promise.all(
      Array.from({ length: 4 }, (_, i) => {
        const r = request(String(i));
        refs.push(new WeakRef(r));
        return grouper
          .submit('train', r, () => false)
          .then((out) => {
            if (out) held.push(out); // the running child keeps its `release`
          });
      }),
    );
    assert.equal(held.length, 4);
    for (const ref of refs) assert.ok(await collected(ref), 'a sent request is still held');
    assert.equal(held[0]?.arrayJobId, 'parent');
  });

  it('a job followed by the poller keeps only its name, not its SubmitJob request', async () => {
    let watching: ((job: JobDetail) => boolean) | undefined;
    const poller = {
      watch: (_id: string, update: (job: JobDetail) => boolean) => {
        watching = update;
      },
      unwatch: () => {},
    } as unknown as JobPoller;
    const step = {
      resolved: batchStep('train'),
      queue: { queue: 'q', platform: 'linux/amd64', computeEnvironments: ['ce'] },
      jobDefinition: 'd',
      checked: {},
    } as unknown as PreparedStep;
    let ref: WeakRef<object> | undefined;
    const job = new BatchJob(
      {
        api: {} as never,
        poller,
        submit: async () => ({ jobId: 'job-1' }),
        writeRecord: async () => {},
        logs: {
          storage: { get: async () => undefined, put: async () => true } as never,
          prefix: 'F/1/train/2/0.',
        },
      },
      step,
      { pathspec: 'F/1/train/2', attempt: 0, codePackage: 'sha' },
      async () => {
        const r = request('2');
        ref = new WeakRef(r);
        return r;
      },
    );
    for (let i = 0; i < 20 && !watching; i++) await new Promise((r) => setImmediate(r));
    assert.ok(watching, 'the job is followed');
    assert.ok(ref && (await collected(ref)), 'the sent request is still held');
    void job;
  });
});
