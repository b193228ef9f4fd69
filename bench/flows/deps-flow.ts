/**
 * The deps-build benchmark's flow: imports sharp and DuckDB, two packages that cannot be bundled and
 * go into the dependency layer (native add-ons picked per platform).
 *
 * @module
 */
import { DuckDBInstance } from '@duckdb/node-api';
import sharp from 'sharp';
import { FlowSpec, step } from 'stepflow';

/**
 * One step using each package.
 *
 * @example
 * ```sh
 * node bin/stepflow.mjs run bench/flows/deps-flow.ts --datastore-root /tmp/ds
 * ```
 */
export default class DepsBenchFlow extends FlowSpec {
  declare answer: number;
  declare width: number;

  @step async start() {
    const conn = await (await DuckDBInstance.create(':memory:')).connect();
    this.answer = Number((await conn.runAndReadAll('SELECT 42 AS a')).getRowObjects()[0]!.a);
    const img = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    this.width = (await sharp(img).metadata()).width ?? 0;
    this.next(this.end);
  }

  @step end() {}
}
