import { batch, FlowSpec, step } from 'stepflow';

/** One `@batch` step that prints the region its job was given (the region e2e test). */
export default class RegionFlow extends FlowSpec {
  declare region: string;

  @step start() {
    this.next(this.where);
  }

  @batch({ cpu: 1, memory: 512 })
  @step
  where() {
    this.region = `${process.env.AWS_REGION}/${process.env.AWS_DEFAULT_REGION}`;
    console.log(`region in the job: ${this.region}`);
    this.next(this.end);
  }

  @step end() {}
}
