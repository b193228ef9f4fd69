/**
 * A small flow that shows the main features: a parameter, a static branch, a foreach and joins.
 * Run it with `npx stepflow run examples/hello-flow.ts --width 4`.
 */
import { current, FlowSpec, type Inputs, parameter, step } from 'stepflow';

export default class HelloFlow extends FlowSpec {
  @parameter({ help: 'how many items to fan out over' }) width = 3;
  @parameter({ help: 'a greeting to carry through the flow' }) greeting = 'hello';

  declare items: number[];
  declare squared: number;
  declare total: number;
  declare left: string;
  declare right: string;
  declare summary: string;

  @step start() {
    console.log(`${this.greeting} from ${current.pathspec}`);
    this.items = Array.from({ length: this.width }, (_, i) => i + 1);
    this.next(this.square, { foreach: 'items' });
  }

  @step square() {
    const item = this.inputOf('items'); // a number, typed from `items`
    this.squared = item * item;
    console.log(`item ${this.index}: ${item}² = ${this.squared}`);
    this.next(this.gather);
  }

  @step gather(inputs: Inputs<HelloFlow>) {
    this.total = inputs.reduce((sum, i) => sum + i.squared, 0);
    this.mergeArtifacts(inputs, { exclude: ['squared'] });
    this.next(this.left_side, this.right_side);
  }

  @step left_side() {
    this.left = `sum of squares ${this.total}`;
    this.next(this.meet);
  }

  @step right_side() {
    this.right = `${this.items.length} items`;
    this.next(this.meet);
  }

  @step meet(inputs: Inputs<HelloFlow>) {
    this.summary = `${inputs.left_side.left}, ${inputs.right_side.right}`;
    this.mergeArtifacts(inputs);
    this.next(this.end);
  }

  @step end() {
    console.log(`${this.greeting}: ${this.summary}`);
  }
}
