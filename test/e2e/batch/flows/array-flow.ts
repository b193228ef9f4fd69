/**
 * The `@batch` foreach of the arrays tests (test/e2e/batch/arrays*.batch.test.ts, real containers), of
 * test/e2e/batch-wide.test.ts and of the batch-wide benchmark (whose job-runner stand-in runs `work` as a
 * no-op task, test/support/noop-batch-runner.ts, storing each foreach item as `item` as the body does).
 *
 * @module
 */
import { batch, current, environment, FlowSpec, type Inputs, parameter, retry, step } from 'stepflow';

/**
 * `start` fans out over `items` (`--width`), `work` (on AWS Batch, as array jobs) keeps its item, `join`
 * reads every item, checks their order and prints their sum. The launching side's `ARRAY_FAIL_ONCE` names
 * the item that fails on its first attempt, `ARRAY_KILL` the one that dies as an OOM kill does (SIGKILL,
 * exit 137) on every attempt; `@environment` carries them into the containers.
 *
 * @example
 * ```sh
 * node bin/stepflow.mjs run test/e2e/batch/flows/array-flow.ts --width 10000 --datastore s3
 * ```
 */
export default class ArrayBatchFlow extends FlowSpec {
  @parameter({ help: 'foreach width' }) width = 50;
  @parameter({ help: 'seconds each child sleeps' }) seconds = 0;
  declare items: number[];
  declare item: number;
  declare total: number;

  @step start() {
    this.items = Array.from({ length: this.width }, (_, i) => i);
    this.next(this.work, { foreach: 'items' });
  }

  @retry({ times: 1, minutesBetweenRetries: 0 })
  @environment({
    vars: {
      ARRAY_FAIL_ONCE: process.env.ARRAY_FAIL_ONCE ?? 'none',
      ARRAY_KILL: process.env.ARRAY_KILL ?? 'none',
    },
  })
  @batch({ cpu: 1, memory: 512 })
  @step
  work() {
    this.item = this.input as number;
    const me = String(this.item);
    console.log(`item ${me} attempt ${current.retryCount} in ${process.env.AWS_BATCH_JOB_ID}`);
    if (me === process.env.ARRAY_FAIL_ONCE && current.retryCount === 0) {
      throw new Error(`item ${me} fails on its first attempt`);
    }
    if (me === process.env.ARRAY_KILL) {
      console.error(`item ${me} is killed on purpose`);
      process.kill(process.pid, 'SIGKILL');
    }
    if (this.seconds > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, this.seconds * 1000);
    this.next(this.join);
  }

  @step join(inputs: Inputs<ArrayBatchFlow>) {
    const started = performance.now();
    const items = inputs.map((i) => i.item);
    const ms = performance.now() - started;
    const inOrder = items.every((item, i) => item === i);
    console.log(`join read ${items.length} items in ${ms.toFixed(1)} ms; in order: ${inOrder}`);
    if (!inOrder) throw new Error('the join saw its inputs out of order');
    this.total = items.reduce((sum, item) => sum + item, 0);
    console.log(`joined ${inputs.length} inputs, total ${this.total}`);
    this.next(this.end);
  }

  @step end() {}
}
