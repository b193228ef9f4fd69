/**
 * The fan-out benchmark's flow: a foreach of `--width` no-op tasks and their join, so a run measures
 * how fast the runtime launches and collects tasks.
 *
 * @module
 */
import { FlowSpec, type Inputs, parameter, step } from 'stepflow';

/**
 * `start` fans out over `items` (`width` of them), `work` does nothing, `join` collects them.
 *
 * @example
 * ```sh
 * node bin/stepflow.mjs run bench/flows/fan-out-flow.ts --width 500 --datastore-root /tmp/ds
 * ```
 */
export default class FanOutFlow extends FlowSpec {
  @parameter({ help: 'width' }) width = 500;
  declare items: number[];

  @step start() {
    this.items = Array.from({ length: this.width }, (_, i) => i);
    this.next(this.work, { foreach: 'items' });
  }

  @step work() {
    this.next(this.join);
  }

  @step join(_inputs: Inputs<FanOutFlow>) {
    this.next(this.end);
  }

  @step end() {}
}
