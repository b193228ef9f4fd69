import { current, FlowSpec, step } from 'stepflow';
import { northTotal, pdfSize, resizedWidth, tokenCount } from '../../../fixtures/deps/deps-steps.mjs';

/** Milliseconds since the job's `node` started (the bootstrap sets the start), or -1 outside a job. */
function sinceStart(): number {
  const started = Number(process.env.STEPFLOW_BOOTSTRAP_STARTED_MS);
  return started > 0 ? Date.now() - started : -1;
}

/**
 * One step per kind of package that cannot be bundled, run with `--with batch`: native (DuckDB, sharp),
 * WASM (tiktoken), data files read next to the module (pdfkit's fonts); the step bodies are the deps
 * fixture project's (test/fixtures/deps/deps-steps.mts). Each step's first line says how
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
    this.total = await northTotal(current.tempdir);
    this.next(this.image);
  }

  @step async image() {
    console.log(`step body start: ${sinceStart()} ms after container start`);
    this.sharpFrom = import.meta.resolve('sharp');
    this.width = await resizedWidth();
    console.log(`sharp from ${this.sharpFrom}`);
    this.next(this.tokenize);
  }

  @step tokenize() {
    this.tokens = tokenCount();
    this.next(this.pdf);
  }

  @step async pdf() {
    this.pdfBytes = await pdfSize();
    this.next(this.end);
  }

  @step end() {
    console.log(
      `deps: total=${this.total} width=${this.width} tokens=${this.tokens} pdf=${this.pdfBytes > 500}`,
    );
    console.log(`on batch=${process.env.AWS_BATCH_JOB_ID !== undefined}`);
  }
}
