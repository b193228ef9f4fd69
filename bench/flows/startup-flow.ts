/**
 * The startup benchmark's flow: two no-op steps, so a run measures only stepflow's fixed cost
 * (CLI start, compiling the flow, the runtime, two task processes).
 *
 * @module
 */
import { FlowSpec, step } from 'stepflow';

/**
 * Two steps that do nothing.
 *
 * @example
 * ```sh
 * node bin/stepflow.mjs run bench/flows/startup-flow.ts --datastore-root /tmp/ds
 * ```
 */
export default class StartupFlow extends FlowSpec {
  @step start() {
    this.next(this.end);
  }

  @step end() {}
}
