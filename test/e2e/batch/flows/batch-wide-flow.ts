/**
 * The batch-wide benchmark's (and test/e2e/batch-wide.test.ts's) flow: a `--width`-way foreach under
 * `@batch`, whose tasks the job-runner stand-in runs as no-op tasks (test/support/noop-batch-runner.ts:
 * each stores its foreach item as `item`, as the body would), and a local join that reads `item` from
 * every input and checks their order.
 *
 * @module
 */
import { batch, FlowSpec, type Inputs, parameter, retry, step } from 'stepflow';

/**
 * `start` fans out over `items`, `work` (on AWS Batch) keeps its item, `join` reads every item.
 *
 * @example
 * ```sh
 * node bin/stepflow.mjs run test/e2e/batch/flows/batch-wide-flow.ts --width 10000 --datastore s3
 * ```
 */
export default class BatchWideFlow extends FlowSpec {
  @parameter({ help: 'foreach width' }) width = 10_000;
  declare items: number[];
  declare item: number;
  declare total: number;

  @step start() {
    this.items = Array.from({ length: this.width }, (_, i) => i);
    this.next(this.work, { foreach: 'items' });
  }

  @batch({ cpu: 1, memory: 512 })
  @retry({ times: 1, minutesBetweenRetries: 0 })
  @step
  work() {
    this.item = this.input as number;
    this.next(this.join);
  }

  @step join(inputs: Inputs<BatchWideFlow>) {
    const started = performance.now();
    const items = inputs.map((i) => i.item);
    const ms = performance.now() - started;
    const inOrder = items.every((item, i) => item === i);
    console.log(`join read ${items.length} items in ${ms.toFixed(1)} ms; in order: ${inOrder}`);
    if (!inOrder) throw new Error('the join saw its inputs out of order');
    this.total = items.length;
    this.next(this.end);
  }

  @step end() {}
}
