/**
 * The artifacts benchmark's flow: `start` stores a 256 MiB Float64Array and `read` loads it, so the
 * attempts' done records hold the datastore's save and load figures for one large artifact.
 *
 * @module
 */
import { FlowSpec, step } from 'stepflow';

/**
 * One big artifact written by `start` and read by `read`.
 *
 * @example
 * ```sh
 * node bin/stepflow.mjs run bench/flows/artifacts-flow.ts --datastore-root /tmp/ds --run-id-file /tmp/id
 * ```
 */
export default class ArtifactsFlow extends FlowSpec {
  declare big: Float64Array;
  declare sum: number;

  @step start() {
    this.big = new Float64Array(32 * 1024 * 1024).fill(1.5);
    this.next(this.read);
  }

  @step read() {
    this.sum = this.big[0] + this.big.length;
    this.next(this.end);
  }

  @step end() {}
}
