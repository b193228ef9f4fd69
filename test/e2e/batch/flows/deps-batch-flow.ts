import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import PDFDocument from 'pdfkit';
import sharp from 'sharp';
import { current, FlowSpec, step } from 'stepflow';
import { get_encoding } from 'tiktoken';

/** Milliseconds since the job's `node` started (the bootstrap sets the start), or -1 outside a job. */
function sinceStart(): number {
  const started = Number(process.env.STEPFLOW_BOOTSTRAP_STARTED_MS);
  return started > 0 ? Date.now() - started : -1;
}

/**
 * One step per kind of package that cannot be bundled, run with `--with batch`: native (DuckDB, sharp),
 * WASM (tiktoken), data files read next to the module (pdfkit's fonts). Each step's first line says how
 * long after the container's start its body began, and `image` says where sharp was loaded from.
 */
export default class DepsBatchFlow extends FlowSpec {
  declare total: number;
  declare width: number;
  declare sharpFrom: string;
  declare tokens: number;
  declare pdfBytes: number;

  @step async start() {
    console.log(`step body start: ${sinceStart()} ms after container start`);
    const csv = path.join(current.tempdir, 'sales.csv');
    writeFileSync(csv, 'region,amount\nnorth,10\nsouth,20\nnorth,12\n');
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const reader = await conn.runAndReadAll(
      `SELECT sum(amount)::INTEGER AS total FROM read_csv_auto('${csv}') WHERE region = 'north'`,
    );
    this.total = Number(reader.getRowObjects()[0]?.total);
    conn.closeSync();
    this.next(this.image);
  }

  @step async image() {
    console.log(`step body start: ${sinceStart()} ms after container start`);
    this.sharpFrom = import.meta.resolve('sharp');
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#336699' } })
      .png()
      .toBuffer();
    const meta = await sharp(await sharp(png).resize(16).toBuffer()).metadata();
    this.width = meta.width ?? 0;
    console.log(`sharp from ${this.sharpFrom}`);
    this.next(this.tokenize);
  }

  @step tokenize() {
    const enc = get_encoding('cl100k_base');
    this.tokens = enc.encode('hello world, stepflow ships WASM').length;
    enc.free();
    this.next(this.pdf);
  }

  @step async pdf() {
    const doc = new PDFDocument();
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise<void>((resolve) => doc.on('end', () => resolve()));
    doc.font('Helvetica').text('stepflow');
    doc.end();
    await done;
    this.pdfBytes = Buffer.concat(chunks).length;
    this.next(this.end);
  }

  @step end() {
    console.log(
      `deps: total=${this.total} width=${this.width} tokens=${this.tokens} pdf=${this.pdfBytes > 500}`,
    );
    console.log(`on batch=${process.env.AWS_BATCH_JOB_ID !== undefined}`);
  }
}
