import { FlowSpec, step } from 'stepflow';

/** No decorators: `--with batch` sends both steps to AWS Batch. */
export default class PlainFlow extends FlowSpec {
  declare onBatch: boolean;

  @step start() {
    this.onBatch = process.env.AWS_BATCH_JOB_ID !== undefined;
    this.next(this.end);
  }

  @step end() {
    console.log(`plain end: on batch=${this.onBatch && process.env.AWS_BATCH_JOB_ID !== undefined}`);
  }
}
