/**
 * Generative test over random flows from the flow grammar (test/support/flow-grammar.ts): every generated
 * flow is either refused by `check` with named rules (and `run` refuses it with the same problems before
 * anything is stored), or it runs to completion with every task successful. Never an internal error,
 * never a hang (each run has a time limit).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { openStorage } from '../../src/datastore/backends.js';
import { checkFlowFile } from '../../src/graph/check.js';
import { GraphError } from '../../src/graph/errors.js';
import { GRAPH_RULES } from '../../src/graph/validate.js';
import '../../src/plugins/index.js';
import { loadFlow } from '../../src/runtime/load-flow.js';
import { prepareRun } from '../../src/runtime/start-run.js';
import { type FlowShape, flowShape, planSteps, renderFlow } from '../support/flow-grammar.js';

/** How many accepted flows are run (the others are only checked). */
const MAX_RUNS = 30;

/** Longest a generated run may take before it counts as a hang. */
const RUN_LIMIT_MS = 60_000;

let dir: string;
let counter = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stepflow-generated-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeShape(shape: FlowShape): Promise<string> {
  const file = join(dir, `gen-${++counter}.ts`);
  await writeFile(file, renderFlow(shape));
  return file;
}

/** Runs a flow in-process to the end (or the time limit); returns the summary and what went wrong. */
async function runToEnd(file: string): Promise<{ status: string; trouble: string[] }> {
  const trouble: string[] = [];
  const flow = await loadFlow(file);
  const storage = await openStorage({ kind: 'local', root: join(dir, 'store') });
  const run = await prepareRun({
    flow,
    storage,
    parameters: {},
    maxWorkers: 4,
    reporter: {
      notice: (message) => trouble.push(message),
      taskFinished: (e) => {
        if (!e.ok) trouble.push(`${e.pathspec}: ${e.reason ?? e.error?.message ?? 'failed'}`);
      },
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), RUN_LIMIT_MS);
  });
  try {
    const outcome = await Promise.race([run.start(), limit]);
    if (outcome === 'hang') {
      await run.interrupt('the generated run took too long');
      return { status: 'hang', trouble };
    }
    return { status: outcome.status, trouble };
  } finally {
    clearTimeout(timer);
  }
}

describe('generated flows: refused by check with a named rule, or run to completion', () => {
  it('check names a known rule for every problem of 400 random flows, and never throws', async () => {
    await fc.assert(
      fc.asyncProperty(flowShape(), async (shape) => {
        const file = await writeShape(shape);
        const { graph, problems } = await checkFlowFile(file);
        assert.ok(graph, JSON.stringify(problems));
        for (const p of problems) assert.ok(p.rule in GRAPH_RULES, `unknown rule ${p.rule}: ${p.message}`);
        // A flow from the grammar without mutations is always valid.
        if (shape.mutations.length === 0 && !hasEmptyArm(shape)) assert.deepEqual(problems, []);
      }),
      { numRuns: 400 },
    );
  });

  it('run refuses what check refuses, and runs what check accepts to the end (30 runs)', async (t) => {
    let runs = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(flowShape(), async (shape) => {
        const file = await writeShape(shape);
        const { problems } = await checkFlowFile(file);
        if (problems.length > 0) {
          refused++;
          const error = await loadFlow(file).then(
            () => undefined,
            (err: unknown) => err,
          );
          assert.ok(error instanceof GraphError, `run must refuse ${file} as check does: ${String(error)}`);
          assert.deepEqual(error.rules, [...new Set(problems.map((p) => p.rule))]);
          return;
        }
        // About a quarter of the flows pass check; running 30 of them keeps the test near half a minute.
        if (runs >= MAX_RUNS) return;
        runs++;
        const { status, trouble } = await runToEnd(file);
        assert.equal(
          status,
          'successful',
          `${file} (${planSteps(shape).length} steps) passed check but its run ended ${status}:\n${trouble.join('\n')}`,
        );
      }),
      { numRuns: 200, endOnFailure: true },
    );
    t.diagnostic(`${runs} generated flows run to the end, ${refused} refused by check and run`);
    assert.ok(runs >= 20, `only ${runs} generated flows were run (${refused} refused)`);
  });
});

function hasEmptyArm(shape: FlowShape): boolean {
  const walk = (segments: FlowShape['body']): boolean =>
    segments.some(
      (s) =>
        (s.kind === 'foreach' && (s.body.length === 0 || walk(s.body))) ||
        (s.kind === 'branch' && s.arms.some((arm) => arm.length === 0 || walk(arm))),
    );
  return walk(shape.body);
}
