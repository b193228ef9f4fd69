/**
 * Run ids: strings that sort by start time, like Metaflow's local ids, and the claim that makes one a run.
 *
 * @module
 */
import { randomInt } from 'node:crypto';
import type { FlowDatastore, RunRecord } from '../datastore/index.js';
import { RuntimeError } from './errors.js';

let last = 0;

/**
 * A new run id: microseconds since the epoch (unique within this process, ordered by time). Another
 * process may pick the same id: {@link claimRun} makes a run's id its own.
 *
 * @example
 * ```ts
 * newRunId(); // '1764081234567123'
 * ```
 */
export function newRunId(): string {
  const micros = Date.now() * 1000 + Math.floor((performance.now() % 1) * 1000);
  last = Math.max(last + 1, micros);
  return String(last);
}

/** How many ids {@link claimRun} tries before giving up. */
export const CLAIM_ATTEMPTS = 20;

/**
 * Names a run: creates its `_meta/run.json` with a new id, only when no run has that id (an atomic
 * create-if-absent, local or S3), and on a clash tries a later id (a few random microseconds on, so
 * processes that clashed spread out). Returns the id now owned by this run; another run's record is
 * never touched.
 *
 * @example
 * ```ts
 * const runId = await claimRun(fds, (runId) => ({ ...record, runId }));
 * ```
 */
export async function claimRun(
  fds: FlowDatastore,
  recordFor: (runId: string) => RunRecord,
  nextId: () => string = newRunId,
): Promise<string> {
  for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
    const id = nextId();
    if (await fds.createRun(recordFor(id))) return id;
    // Taken, most likely by a run started in the same microsecond: skip ahead by a random step.
    last += randomInt(1, 1000);
  }
  throw new RuntimeError(
    `Could not name a run of ${fds.flow}: ${CLAIM_ATTEMPTS} run ids in a row were taken in ` +
      `${fds.storage.root}. Check that nothing else writes run folders there, and run again.`,
    { flow: fds.flow },
  );
}
