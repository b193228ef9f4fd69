/**
 * Fakes shared by the scheduler tests: a graph builder, a launcher that "runs" a task by writing its done
 * record, and a scheduler over in-memory storage. No tests of its own; named `.test.ts` so that it stays
 * out of the build.
 */
import { PassThrough } from 'node:stream';
import { FlowDatastore } from '../datastore/flow-datastore.js';
import { MemoryStorage } from '../datastore/memory-storage.js';
import type { AttemptDoneRecord } from '../datastore/types.js';
import type { LaunchedTask, LaunchOutcome, TaskLauncher, TaskLaunchSpec } from '../decorators/contract.js';
import type { FlowGraph, GraphStep } from '../graph/types.js';
import type { Reporter } from './reporter.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';

export type StepDef = { next?: string[]; foreach?: string; join?: string };

/** A graph as the static analysis would produce it, from `name: { next, foreach, join: matchingSplit }`. */
export function makeGraph(defs: Record<string, StepDef>): FlowGraph {
  const order = Object.keys(defs);
  const steps: Record<string, GraphStep> = {};
  for (const name of order) {
    const { next = [], foreach, join } = defs[name];
    const kind = next.length === 0 ? 'end' : foreach ? 'foreach' : next.length > 1 ? 'branch' : 'linear';
    const inFuncs = order.filter((o) => (defs[o].next ?? []).includes(name));
    steps[name] = {
      name,
      line: 1,
      kind,
      next,
      foreach,
      isJoin: join !== undefined,
      inFuncs,
      splitParents: [],
      matchingSplit: join,
      decorators: [],
      isAsync: false,
    };
  }
  return { flowName: 'F', file: 'f.ts', line: 1, steps, order, parameters: [] };
}

/**
 * What a fake task does after `delayMs` (default 1): succeed, fail, or crash (exit 137 without a done
 * record, with the launcher's explanation `failure` when given); or hang until killed.
 */
export type Behaviour = (
  spec: TaskLaunchSpec,
) =>
  | { fail?: boolean; crash?: boolean; failure?: string; hang?: boolean; delayMs?: number; ownLogs?: boolean }
  | undefined;

/** A launcher that "runs" a task by writing its done record with the transition the graph says. */
export class FakeLauncher implements TaskLauncher {
  readonly name = 'fake';
  readonly launched: TaskLaunchSpec[] = [];
  readonly killed: Array<[string, string]> = [];
  running = 0;
  maxRunning = 0;
  constructor(
    private readonly fds: FlowDatastore,
    private readonly graph: FlowGraph,
    private readonly foreachCount: (spec: TaskLaunchSpec) => number = () => 3,
    private readonly behave: Behaviour = () => undefined,
  ) {}

  launch(spec: TaskLaunchSpec): LaunchedTask {
    this.launched.push(spec);
    this.maxRunning = Math.max(this.maxRunning, ++this.running);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let settle!: (outcome: LaunchOutcome) => void;
    const done = new Promise<LaunchOutcome>((resolve) => (settle = resolve));
    let ended = false;
    const end = (outcome: LaunchOutcome) => {
      if (ended) return;
      ended = true;
      this.running--;
      stdout.end();
      stderr.end();
      settle(outcome);
    };
    const plan = this.behave(spec) ?? {};
    const t = spec.task;
    if (!plan.hang) {
      setTimeout(async () => {
        stdout.write(`hello from ${t.stepName}/${t.taskId}\n`);
        if (plan.ownLogs)
          await this.fds
            .task(t.runId, t.stepName, t.taskId)
            .saveLog(t.attempt, 'stdout', Buffer.from('own\n'));
        if (plan.crash)
          return end({ exitCode: 137, signal: null, ...(plan.failure ? { failure: plan.failure } : {}) });
        const record: AttemptDoneRecord = plan.fail
          ? {
              attempt: t.attempt,
              ok: false,
              endedAt: '',
              error: { type: 'Error', message: `boom ${t.taskId}` },
            }
          : {
              attempt: t.attempt,
              ok: true,
              endedAt: '',
              transition: this.transition(spec),
              data: {
                from: {
                  sha: `${t.stepName}/${t.taskId}@${t.attempt}`,
                  size: 1,
                  encoding: 'v8',
                  type: 'string',
                },
              },
            };
        await this.fds.task(t.runId, t.stepName, t.taskId).writeDone(t.attempt, record);
        end({ exitCode: plan.fail ? 1 : 0, signal: null });
      }, plan.delayMs ?? 1);
    }
    const kill = async (reason: string) => {
      this.killed.push([spec.pathspec, reason]);
      end({ exitCode: null, signal: 'SIGTERM', killedReason: reason });
      await done;
    };
    return { stdout, stderr, done, kill, ...(plan.ownLogs ? { storesOwnLogs: true } : {}) };
  }

  private transition(spec: TaskLaunchSpec) {
    const step = this.graph.steps[spec.task.stepName];
    if (step.kind === 'end') return undefined;
    if (!step.foreach) return { targets: [...step.next] };
    return { targets: [...step.next], foreach: step.foreach, foreachCount: this.foreachCount(spec) };
  }
}

/** A scheduler over in-memory storage, with a reporter that records events. */
export function setup(
  graph: FlowGraph,
  options: {
    count?: (spec: TaskLaunchSpec) => number;
    behave?: Behaviour;
    scheduler?: Partial<SchedulerOptions>;
  } = {},
) {
  const storage = new MemoryStorage();
  const fds = new FlowDatastore(storage, 'F');
  const launcher = new FakeLauncher(fds, graph, options.count, options.behave);
  const events: string[] = [];
  const finished: Array<Parameters<NonNullable<Reporter['taskFinished']>>[0]> = [];
  const reporter: Reporter = {
    taskStarted: (e) => events.push(`start ${e.pathspec} ${e.attempt} ${e.launcher}`),
    taskFinished: (e) => finished.push(e),
    taskOutput: (e) => events.push(`out ${e.pathspec} ${e.line}`),
    notice: (m) => events.push(`notice ${m}`),
  };
  const scheduler = new Scheduler({
    flowName: 'F',
    runId: '1',
    graph,
    datastore: fds,
    storage: { kind: 'memory', root: 'memory://' },
    codePackage: { sha: 'sha', bundlePath: '/nowhere/bundle.mjs' },
    decorators: new Map(),
    maxWorkers: 4,
    maxNumSplits: 100,
    defaultLauncher: launcher,
    reporter,
    ...options.scheduler,
  });
  const tasks = (step: string) =>
    launcher.launched.filter((l) => l.task.stepName === step).map((l) => l.task);
  return { fds, launcher, scheduler, events, finished, tasks };
}

/** `step/taskId` of each launched attempt. */
export const steps = (launched: readonly TaskLaunchSpec[]) =>
  launched.map((l) => `${l.task.stepName}/${l.task.taskId}`);
