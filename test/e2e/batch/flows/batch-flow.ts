import { batch, environment, FlowSpec, type Inputs, parameter, step } from 'stepflow';

/** `@batch` steps in a linear part, a foreach and its join; `start` and `end` run locally. */
export default class BatchFlow extends FlowSpec {
  @parameter({ help: 'foreach width' }) width = 3;
  @parameter({ help: 'make the fail step fail' }) fail = false;
  @parameter({ help: 'make prepare die as an OOM kill does (SIGKILL, exit 137)' }) killed = false;
  declare greeting: string;
  declare items: number[];
  declare item: number;
  declare square: number;
  declare squares: number[];
  declare where: string;
  declare host: string;

  @step start() {
    this.greeting = 'hello';
    this.host = process.env.STEPFLOW_TEST_MARKER ?? 'unset';
    this.next(this.prepare);
  }

  @batch({ cpu: 1, memory: 512 })
  @environment({ vars: { BATCH_FLOW_VAR: 'from-environment' } })
  @step
  prepare() {
    console.log(`prepare on batch: greeting=${this.greeting} var=${process.env.BATCH_FLOW_VAR}`);
    if (this.killed) {
      console.error('prepare is killed on purpose');
      process.kill(process.pid, 'SIGKILL');
    }
    if (this.fail) {
      console.error('prepare is failing on purpose');
      process.exit(7);
    }
    this.items = Array.from({ length: this.width }, (_, i) => i + 1);
    this.next(this.square_it, { foreach: 'items' });
  }

  @batch({ cpu: 1, memory: 512 })
  @step
  square_it() {
    this.item = this.input as number;
    this.square = this.item * this.item;
    console.log(`square of ${this.item} is ${this.square}`);
    this.next(this.join);
  }

  @batch({ cpu: 1, memory: 512 })
  @step
  join(inputs: Inputs<BatchFlow>) {
    this.squares = inputs.map((i) => i.square);
    this.where = process.env.AWS_BATCH_JOB_ID ? 'batch' : 'local';
    console.log(`squares=${this.squares.join(',')}`);
    this.next(this.end);
  }

  @step end() {
    console.log(`end: squares=${this.squares.join(',')} where=${this.where}`);
  }
}
