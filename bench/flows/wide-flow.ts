/**
 * The wide benchmark's flow (and test/e2e/wide.test.ts's): a foreach of `--width` tasks whose `work` step
 * runs through the no-op task stand-in (test/support/noop-task.ts, chosen by the `@noopStandIn` decorator,
 * whose launcher the driver test/support/wide-run.ts registers), and a real join that reads one small
 * artifact of each input and says how long that took.
 *
 * @module
 */
import { defineStepDecorator, FlowSpec, type Inputs, parameter, step } from 'stepflow';

/**
 * Marks the step the driver runs with its no-op launcher; elsewhere (a task process) it does nothing.
 *
 * @example
 * ```ts
 * @noopStandIn() @step work() { ... }
 * ```
 */
export const noopStandIn = defineStepDecorator({
  name: 'noopStandIn',
  optionNames: [],
  parseOptions: () => ({}),
});

/**
 * `start` fans out over `items`; `work` keeps its item (`this.item = this.input`, which the stand-in writes);
 * `join` reads `item` of every input, in order.
 *
 * @example
 * ```sh
 * node --import tsx test/support/wide-run.ts '{"width":1000,"root":"/tmp/ds"}'
 * ```
 */
export default class WideFlow extends FlowSpec {
  @parameter({ help: 'width' }) width = 1000;
  declare items: number[];
  declare item: number;
  declare count: number;
  declare inOrder: boolean;
  declare sum: number;
  declare readMs: number;

  @step start() {
    this.items = Array.from({ length: this.width }, (_, i) => i);
    this.next(this.work, { foreach: 'items' });
  }

  @noopStandIn()
  @step
  work() {
    this.item = this.input as number;
    this.next(this.join);
  }

  @step join(inputs: Inputs<WideFlow>) {
    const t0 = performance.now();
    const items = inputs.map((i) => i.item);
    this.readMs = performance.now() - t0;
    this.count = items.length;
    this.inOrder = items.every((item, i) => item === i);
    this.sum = items.reduce((a, b) => a + b, 0);
    this.next(this.end);
  }

  @step end() {}
}
