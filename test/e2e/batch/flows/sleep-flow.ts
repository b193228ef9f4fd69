import { batch, FlowSpec, type Inputs, parameter, step } from 'stepflow';

/** `@batch` tasks that sleep (the interrupt and `batch list|kill` tests stop them while they run). */
export default class SleepBatchFlow extends FlowSpec {
  @parameter({ help: 'foreach width' }) width = 2;
  @parameter({ help: 'seconds each task sleeps' }) seconds = 60;
  declare items: number[];

  @step start() {
    this.items = Array.from({ length: this.width }, (_, i) => i);
    this.next(this.nap, { foreach: 'items' });
  }

  @batch({ cpu: 1, memory: 512 })
  @step
  nap() {
    console.log(`napping ${this.seconds} s`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, this.seconds * 1000);
    this.next(this.join);
  }

  @step join(_inputs: Inputs<SleepBatchFlow>) {
    this.next(this.end);
  }

  @step end() {}
}
