/**
 * `@batch` in a linear part, a foreach and its join; `start` and `end` run locally. Try it against the
 * local stand-in (README, "`@batch` without AWS"): `npx stepflow run examples/batch-flow.ts`.
 * On AWS, set `METAFLOW_BATCH_JOB_QUEUE`, `METAFLOW_DATASTORE_SYSROOT_S3` and
 * `METAFLOW_DEFAULT_DATASTORE=s3` as you would for Metaflow.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { batch, current, FlowSpec, type Inputs, parameter, retry, step } from 'stepflow';

export default class BatchFlow extends FlowSpec {
  @parameter({ help: 'how many items to fan out over' }) width = 3;

  declare items: number[];
  declare item: number;
  declare square: number;
  declare tempdir: string;
  declare squares: number[];

  @step start() {
    this.items = Array.from({ length: this.width }, (_, i) => i + 1);
    this.next(this.prepare);
  }

  /** A tmpfs for scratch files: `current.tempdir` (and METAFLOW_TEMPDIR) point into it. */
  @batch({ cpu: 1, memory: 1024, useTmpfs: true, tmpfsSize: 256 })
  @step
  prepare() {
    writeFileSync(join(current.tempdir, 'scratch.txt'), 'in memory');
    this.tempdir = current.tempdir;
    console.log(
      `${current.pathspec} runs on AWS Batch job ${process.env.AWS_BATCH_JOB_ID}; scratch in ${this.tempdir}`,
    );
    this.next(this.square_it, { foreach: 'items' });
  }

  @retry({ times: 1 })
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
    this.next(this.end);
  }

  @step end() {
    console.log(`squares: ${this.squares.join(', ')}`);
  }
}
