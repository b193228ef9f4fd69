/**
 * `@batch` in a linear part, a foreach and its join; `start` and `end` run locally. Try it against the
 * local stand-in (README, "`@batch` without AWS"): `npx stepflow run examples/batch-flow.ts`.
 * On AWS, set `METAFLOW_BATCH_JOB_QUEUE`, `METAFLOW_DATASTORE_SYSROOT_S3` and
 * `METAFLOW_DEFAULT_DATASTORE=s3` as you would for Metaflow.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { batch, current, FlowSpec, type Inputs, parameter, retry, S3, step } from 'stepflow';

export default class BatchFlow extends FlowSpec {
  @parameter({ help: 'how many items to fan out over' }) width = 3;

  declare items: number[];
  declare item: number;
  declare square: number;
  declare tempdir: string;
  declare downloadedTo: string;
  declare squares: number[];

  @step start() {
    this.items = Array.from({ length: this.width }, (_, i) => i + 1);
    this.next(this.prepare);
  }

  /**
   * A tmpfs for scratch files: `current.tempdir` (and METAFLOW_TEMPDIR) point into it, so the `S3` data
   * tool downloads into memory.
   */
  @batch({ cpu: 1, memory: 1024, useTmpfs: true, tmpfsSize: 256 })
  @step
  async prepare() {
    writeFileSync(join(current.tempdir, 'scratch.txt'), 'in memory');
    this.tempdir = current.tempdir;
    await using s3 = new S3({ run: this });
    await s3.put('items.json', JSON.stringify(this.items));
    const back = await s3.get('items.json');
    this.downloadedTo = back.path ?? '';
    this.items = JSON.parse(back.text) as number[];
    console.log(
      `${current.pathspec} runs on AWS Batch job ${process.env.AWS_BATCH_JOB_ID}; scratch in ${this.tempdir}`,
    );
    this.next(this.square_it, { foreach: 'items' });
  }

  @retry({ times: 1 })
  @batch({ cpu: 1, memory: 512 })
  @step
  square_it() {
    this.item = this.inputOf('items');
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
