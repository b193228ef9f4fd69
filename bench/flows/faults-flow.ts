/**
 * The fault suite's flow: a foreach of `--width` tasks that each store a few artifacts (a number, a
 * string, a typed array) and print a line, and a join that checks and sums them, so a run exercises
 * artifact writes, records and logs of many tasks.
 *
 * @module
 */
import { FlowSpec, type Inputs, parameter, step } from 'stepflow';

/**
 * `start` fans out over `items`; `work` stores artifacts derived from its item; `join` sums them.
 *
 * @example
 * ```sh
 * node bin/stepflow.mjs run bench/flows/faults-flow.ts --width 100 --max-num-splits 100
 * ```
 */
export default class FaultsFlow extends FlowSpec {
  @parameter({ help: 'width of the foreach' }) width = 100;
  @parameter({ help: 'milliseconds each work task sleeps' }) sleepMs = 0;
  declare items: number[];
  declare idx: number;
  declare value: number;
  declare label: string;
  declare block: Float64Array;
  declare total: number;
  declare labels: string[];

  @step start() {
    this.items = Array.from({ length: this.width }, (_, i) => i);
    this.next(this.work, { foreach: 'items' });
  }

  @step async work() {
    const item = this.input as number;
    this.idx = item;
    this.value = item * 2;
    this.label = `item-${item}`;
    this.block = new Float64Array(512).fill(item);
    if (this.sleepMs > 0) await new Promise((r) => setTimeout(r, this.sleepMs));
    console.log(`work ${item}: value ${this.value}`);
    this.next(this.join);
  }

  @step join(inputs: Inputs<FaultsFlow>) {
    this.total = inputs.reduce((sum, i) => sum + i.value + i.block[0], 0);
    this.labels = inputs.map((i) => i.label);
    this.next(this.end);
  }

  @step end() {
    console.log(`total ${this.total}`);
  }
}
