import { FlowSpec, step } from 'stepflow';

/** ms since the job's `node` started (set by the bootstrap), or -1 outside a job. */
function sinceStart(): number {
  const started = Number(process.env.STEPFLOW_BOOTSTRAP_STARTED_MS);
  return started > 0 ? Date.now() - started : -1;
}

/** Cold start without dependencies (the baseline of deps-start-flow.ts). */
export default class PlainStartFlow extends FlowSpec {
  @step start() {
    console.log(`step body start: ${sinceStart()} ms after container start`);
    this.next(this.end);
  }

  @step end() {
    console.log(`step body start: ${sinceStart()} ms after container start`);
  }
}
