import { DuckDBInstance } from '@duckdb/node-api';
import sharp from 'sharp';
import { FlowSpec, step } from 'stepflow';

/** ms since the job's `node` started (set by the bootstrap), or -1 outside a job. */
function sinceStart(): number {
  const started = Number(process.env.STEPFLOW_BOOTSTRAP_STARTED_MS);
  return started > 0 ? Date.now() - started : -1;
}

/** Cold start with dependencies: each step's first line says when its body began; it then uses both. */
export default class DepsStartFlow extends FlowSpec {
  declare ok: boolean;

  @step async start() {
    console.log(`step body start: ${sinceStart()} ms after container start`);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    await conn.run('SELECT 1');
    conn.closeSync();
    this.ok =
      (
        await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } })
          .png()
          .toBuffer()
      ).length > 0;
    this.next(this.end);
  }

  @step end() {
    console.log(`step body start: ${sinceStart()} ms after container start`);
  }
}
