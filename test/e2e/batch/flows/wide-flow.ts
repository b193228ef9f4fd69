import { batch, FlowSpec, type Inputs, parameter, step } from 'stepflow';

/** A wide foreach under `@batch` (the batch-calls benchmark): `start` and the join run locally. */
export default class WideBatchFlow extends FlowSpec {
  @parameter({ help: 'foreach width' }) width = 200;
  declare items: number[];
  declare item: number;

  @step start() {
    this.items = Array.from({ length: this.width }, (_, i) => i);
    this.next(this.work, { foreach: 'items' });
  }

  @batch({ cpu: 1, memory: 512 })
  @step
  work() {
    this.item = this.input as number;
    this.next(this.join);
  }

  @step join(inputs: Inputs<WideBatchFlow>) {
    console.log(`joined ${inputs.length}`);
    this.next(this.end);
  }

  @step end() {}
}
