/**
 * `Run`: one run of a flow, from its run and status records.
 *
 * @module
 */
import type { FlowDatastore, RunRecord, RunStatusRecord } from '../datastore/index.js';
import type { FlowGraph } from '../graph/index.js';
import { DataArtifact } from './artifact.js';
import { NotFoundError } from './errors.js';
import { Step } from './step.js';
import type { Task } from './task.js';

/**
 * How a run stands: `running` when it has no status record yet (it is running, or its runtime was
 * killed before it could write one).
 *
 * @example
 * ```ts
 * if (run.status === 'failed') console.error(run.failedTasks);
 * ```
 */
export type RunStatus = 'successful' | 'failed' | 'interrupted' | 'running';

/** The name of the step whose task holds a run's final artifacts (`run.data()`). */
const END_STEP = 'end';

/**
 * One run of a flow (`Flow/runId`). Its records are read when the object is made, so the properties
 * are plain values; steps, tasks and artifacts are read on demand.
 *
 * @example
 * ```ts
 * const run = await new Flow('TrainFlow').latestSuccessfulRun();
 * console.log(run?.id, run?.tags, await run?.parameters());
 * const { model } = (await run?.data()) ?? {};
 * ```
 */
export class Run {
  /** Discriminates the objects {@link getByPathspec} returns. */
  readonly kind = 'run' as const;
  readonly flowName: string;
  readonly id: string;
  /** `Flow/runId`. */
  readonly pathspec: string;
  /** The run record as stored (`_meta/run.json`). */
  readonly record: RunRecord;
  /** The status record as stored (`_meta/status.json`), absent while running. */
  readonly statusRecord: RunStatusRecord | undefined;
  private readonly datastore: FlowDatastore;

  /** Internal: use `flow.run(id)`, `flow.runs()` or {@link getByPathspec}. */
  constructor(datastore: FlowDatastore, record: RunRecord, status: RunStatusRecord | undefined) {
    this.datastore = datastore;
    this.record = record;
    this.statusRecord = status;
    this.flowName = datastore.flow;
    this.id = record.runId;
    this.pathspec = `${datastore.flow}/${record.runId}`;
  }

  /**
   * Reads a run's records; `undefined` when it has no run record. Internal.
   *
   * @example
   * ```ts
   * const run = await Run.load(fds, '17');
   * ```
   */
  static async load(datastore: FlowDatastore, runId: string): Promise<Run | undefined> {
    const [record, status] = await Promise.all([datastore.readRun(runId), datastore.readRunStatus(runId)]);
    return record ? new Run(datastore, record, status) : undefined;
  }

  /** True when the run ended successfully. */
  get successful(): boolean {
    return this.statusRecord?.status === 'successful';
  }

  /** True when the run ended (successfully or not): its status record exists. */
  get finished(): boolean {
    return this.statusRecord !== undefined;
  }

  /** How the run ended, or `running`. */
  get status(): RunStatus {
    return this.statusRecord?.status ?? 'running';
  }

  /** Pathspecs of the tasks that failed, for a failed run. */
  get failedTasks(): readonly string[] {
    return this.statusRecord?.failedTasks ?? [];
  }

  /** The run's tags, including `user:<name>`. */
  get tags(): readonly string[] {
    return this.record.tags;
  }

  /** The user who started the run. */
  get user(): string {
    return this.record.user;
  }

  /** When the run started. */
  get createdAt(): Date {
    return new Date(this.record.startedAt);
  }

  /** When the run ended (`undefined` while running). */
  get finishedAt(): Date | undefined {
    return this.statusRecord ? new Date(this.statusRecord.endedAt) : undefined;
  }

  /** sha256 of the run's code package in the content-addressed store. */
  get codePackage(): string | undefined {
    return this.record.codePackage;
  }

  /** The run this one resumed, if any. */
  get originRunId(): string | undefined {
    return this.record.originRunId;
  }

  /** The flow's static graph as it was when the run started. */
  get graph(): FlowGraph | undefined {
    const graph = this.record.graph as Partial<FlowGraph> | undefined;
    return graph && Array.isArray(graph.order) ? (graph as FlowGraph) : undefined;
  }

  /** The run's parameters as artifacts (name, type, size; values on demand). */
  parameterArtifacts(): DataArtifact[] {
    const where = `${this.pathspec}/_parameters/0`;
    return Object.entries(this.record.parameters).map(
      ([name, ref]) => new DataArtifact(this.datastore, where, name, ref),
    );
  }

  /** The run's parameter values by name. */
  async parameters(): Promise<Record<string, unknown>> {
    return await this.datastore.loadArtifacts(this.record.parameters);
  }

  /** Names of the steps that ran (have tasks), in the graph's source order. */
  async stepNames(): Promise<string[]> {
    const present = await this.datastore.listSteps(this.id);
    const order = this.graph?.order ?? [];
    const rank = new Map(order.map((name, i) => [name, i]));
    return present.sort(
      (a, b) => (rank.get(a) ?? order.length) - (rank.get(b) ?? order.length) || (a < b ? -1 : a > b ? 1 : 0),
    );
  }

  /** The steps that ran, in the graph's source order. */
  async steps(): Promise<Step[]> {
    return (await this.stepNames()).map((name) => new Step(this.datastore, this.id, name));
  }

  /** One step; throws a `NotFoundError` listing the steps that ran when it has not. */
  async step(name: string): Promise<Step> {
    const names = await this.stepNames();
    if (!names.includes(name)) {
      throw new NotFoundError({
        kind: 'step',
        pathspec: `${this.pathspec}/${name}`,
        nearby: names,
        root: this.datastore.storage.root,
        detail: this.graph?.order.includes(name) ? 'The step is in the flow but did not run.' : undefined,
      });
    }
    return new Step(this.datastore, this.id, name);
  }

  /** The task of the `end` step, or `undefined` when the run did not get there. */
  async endTask(): Promise<Task | undefined> {
    const names = await this.stepNames();
    if (!names.includes(END_STEP)) return undefined;
    const step = new Step(this.datastore, this.id, END_STEP);
    return (await step.taskIds()).length > 0 ? await step.task() : undefined;
  }

  /**
   * The artifacts of the end task by name (Metaflow's `run.data`), or `undefined` when the run has no
   * end task.
   */
  async data(names?: readonly string[]): Promise<Record<string, unknown> | undefined> {
    return await (await this.endTask())?.data(names);
  }
}
