/**
 * The hook contract every step decorator implements. Hooks are optional methods that take one context
 * object; the runtime calls them in Metaflow's order and never special-cases a decorator by name.
 *
 * Order: `parseOptions` → `stepInit` (all steps, before anything runs) → `runtimeCheck` (once per run, before
 * the run is named) → `runtimeInit` (once per run, after) →
 * per attempt: `retryCount`, `taskEnvironment`, `launcher`, `attemptTimeout` → in the task process:
 * `taskPreStep` → `taskDecorate` → step body → `taskPostStep` or `taskException` → `taskFinished` →
 * `runtimeFinished` (once per run, in a `finally`). `runtimeCheck` and `runtimeInit` may return a
 * {@link RunScope}: what the plugin keeps for that run (a launcher, its clients and pollers), whose hooks
 * are called for that run only and whose `runtimeFinished` is always called, also when the run is refused,
 * fails or is interrupted. The runtime calls all of these through one dispatcher, `step-hooks.ts`.
 * `stepflow check` calls `parseOptions` and `stepInit` on the options written as literals
 * (`static-check.ts`), and lists what the plugin says it cannot check (`checkedOnlyAtRun`).
 *
 * @module
 */
import type { Readable } from 'node:stream';
import type { ArtifactRef, ForeachFrame, StorageBackend, TaskErrorInfo } from '../datastore/index.js';
import type { FlowGraph, GraphProblem } from '../graph/index.js';

export type { FlowGraph, GraphProblem };

import type { CodePackage } from '../package/index.js';
import type { PluginCommand } from './plugin-command.js';

export type {
  PluginCommand,
  PluginCommandContext,
  PluginCommandOption,
  PluginCommandServices,
} from './plugin-command.js';

/**
 * Context of {@link StepDecoratorPlugin.runtimeInit} and {@link StepDecoratorPlugin.runtimeFinished}: the
 * run, and (from the runtime) what a plugin needs to prepare it before the first task: the graph, every
 * step's resolved decorators, the storage the tasks use, the code package and a way to print notices.
 * Everything past `flowName`/`runId` is optional so a hook can be called with just the run's name.
 *
 * @example
 * ```ts
 * const plugin = { runtimeInit: (ctx: RuntimeRunContext) => ctx.notice?.(`run ${ctx.runId} starts`) };
 * ```
 */
export interface RuntimeRunContext {
  readonly flowName: string;
  readonly runId: string;
  readonly graph?: FlowGraph;
  /** Every step's resolved decorators, by step name. */
  readonly decorators?: ReadonlyMap<string, readonly ResolvedDecorator[]>;
  /** The storage the run's tasks read and write. */
  readonly storage?: StorageBackend;
  /** The run's code package (as stored under its sha). */
  readonly codePackage?: CodePackage;
  /** Who runs the flow. */
  readonly user?: string;
  /** Prints a line for the user (the console reporter's notice). */
  readonly notice?: (message: string) => void;
  /**
   * Builds (or takes from the per-user cache) the dependency layer of the run's code package for a job
   * platform, leaving out the packages an image provides; `undefined` when the flow needs no layer. Throws
   * (before anything is submitted) when a package has no build for the platform or the layer is too large.
   */
  readonly buildLayer?: (request: LayerRequest) => Promise<LayerInfo | undefined>;
  /**
   * Settings of this run for a plugin, by plugin name (tests and benchmarks: a fake AWS API, a faster
   * poll), from `prepareRun`'s `pluginOptions`. Each plugin reads its own entry; nothing is kept between runs.
   */
  readonly pluginOptions?: Readonly<Record<string, object>>;
}

/**
 * How a run ended, for {@link RunScope.runtimeFinished}: `refused` when it was never named or never started.
 *
 * @example
 * ```ts
 * const scope: RunScope = { runtimeFinished: ({ end }) => { if (end !== 'successful') console.log('keep the logs'); } };
 * ```
 */
export type RunEnd = 'successful' | 'failed' | 'interrupted' | 'refused';

/**
 * Context of {@link RunScope.runtimeFinished}: the run (its id once it is named) and how it ended.
 *
 * @example
 * ```ts
 * const scope: RunScope = { runtimeFinished: (ctx: RunFinishedContext) => ctx.notice?.(`run ended: ${ctx.end}`) };
 * ```
 */
export interface RunFinishedContext extends Omit<RuntimeRunContext, 'runId'> {
  readonly runId?: string;
  readonly end: RunEnd;
}

/**
 * What a plugin keeps for one run, returned by its `runtimeCheck` or `runtimeInit` (like the per-run hooks
 * an inngest middleware returns from `onFunctionRun`): the runtime calls these hooks for that run only,
 * before the plugin's own hooks of the same name, and always calls `runtimeFinished` once, in a `finally`
 * (run refused after the check, failed, interrupted or successful). Nothing of a run lives in module state.
 *
 * @example
 * ```ts
 * const plugin: StepDecoratorPlugin = {
 *   name: 'remote', optionNames: [], parseOptions: (raw) => ({ ...raw }),
 *   runtimeCheck: (ctx) => {
 *     const launcher = new MyLauncher(ctx);
 *     return { launcher: () => launcher, runtimeFinished: () => launcher.close() };
 *   },
 * };
 * ```
 */
export interface RunScope {
  /** The run is named (a scope made by `runtimeCheck` learns the run's id here). */
  runtimeInit?(ctx: RuntimeRunContext): void | Promise<void>;
  /** The launcher of an attempt of a step carrying the plugin's decorator; see the plugin hook. */
  launcher?(ctx: RuntimeTaskContext<Record<string, unknown>>): TaskLauncher | undefined;
  /** Always called once for the scope: releases what it owns (pollers, clients). */
  runtimeFinished?(ctx: RunFinishedContext): void | Promise<void>;
}

/**
 * What a remote launcher asks the runtime's package layer for: the layer of a platform.
 *
 * @example
 * ```ts
 * const request: LayerRequest = { platform: { os: 'linux', cpu: 'arm64', libc: 'glibc' }, provided: ['sharp'], steps: ['train'] };
 * ```
 */
export interface LayerRequest {
  readonly platform: { readonly os: 'linux'; readonly cpu: 'x64' | 'arm64'; readonly libc: 'glibc' };
  /** Packages the image supplies: not shipped. */
  readonly provided: readonly string[];
  /** The steps that will use it (for error messages). */
  readonly steps: readonly string[];
}

/**
 * A built dependency layer (the package layer's `DependencyLayer`): a deterministic tar.gz of
 * `node_modules/...` in the per-user cache, named by its sha256.
 *
 * @example
 * ```ts
 * const layer: LayerInfo | undefined = await ctx.buildLayer?.(request);
 * if (layer) console.log(layer.sha256, layer.size, layer.packages.map((p) => p.name));
 * ```
 */
export interface LayerInfo {
  readonly sha256: string;
  readonly size: number;
  readonly archivePath: string;
  /** The platform it was built for (the package layer's `Platform`). */
  readonly platform: { readonly os: string; readonly cpu: string; readonly libc?: string };
  readonly packages: readonly { readonly name: string; readonly version: string }[];
  readonly files: number;
}

/**
 * Context of {@link StepDecoratorPlugin.runtimeCheck}: the run as it will be, before it has an id. The
 * `decorators` map is the very object later passed to `runtimeInit` and `runtimeFinished` of the same run,
 * so a plugin may key what its check prepared on it (a `WeakMap`).
 *
 * @example
 * ```ts
 * const plugin = { runtimeCheck: (ctx: RuntimeCheckContext) => { if (ctx.storage?.kind !== 's3') throw new Error('needs S3'); } };
 * ```
 */
export type RuntimeCheckContext = Omit<RuntimeRunContext, 'runId'>;

/** A decorator on a step after its options were parsed. */
export interface ResolvedDecorator<O = Record<string, unknown>> {
  readonly name: string;
  readonly options: O;
  readonly source: 'static' | 'cli';
}

/** Where a hook runs: which flow and step. */
export interface StepWhere {
  readonly flowName: string;
  readonly stepName: string;
}

/** Context of {@link StepDecoratorPlugin.stepInit}. */
export interface StepInitContext<O> extends StepWhere {
  readonly options: O;
  readonly graph: FlowGraph;
  /** Every decorator on this step (including this one). Options may be adjusted here. */
  readonly decorators: readonly ResolvedDecorator[];
}

/** Context of per-task runtime hooks. */
export interface RuntimeTaskContext<O> extends StepWhere {
  readonly options: O;
  readonly runId: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly decorators: readonly ResolvedDecorator[];
}

/** Retries a decorator asks for: `user` for failures of user code, `error` for infrastructure errors. */
export interface RetryCounts {
  readonly user: number;
  readonly error: number;
  /** Wait before the next attempt, in milliseconds. */
  readonly delayMs?: number;
  /** Where the wait comes from, as the user wrote it (`minutesBetweenRetries: 2`), for messages. */
  readonly delayFrom?: string;
}

/**
 * An input task's succeeded attempt and its artifacts, as the runtime read them from its done record.
 *
 * @example
 * ```ts
 * const known: InputData = { attempt: 0, refs: { item: { sha, size: 4, encoding: 'v8', type: 'number' } } };
 * ```
 */
export interface InputData {
  readonly attempt: number;
  readonly refs: Readonly<Record<string, ArtifactRef>>;
}

/** What a task process is told about the attempt it runs (`node bundle.mjs step <json>`). */
export interface TaskSpec {
  readonly flowName: string;
  readonly runId: string;
  readonly stepName: string;
  readonly taskId: string;
  readonly attempt: number;
  /** Total attempts the runtime will make (1 + retries). */
  readonly maxAttempts: number;
  /** Attempts reserved by decorators for error handling (counted in `maxAttempts`). */
  readonly errorRetries: number;
  /** Run-relative pathspecs (`step/taskId`) of the input tasks. */
  readonly inputs: readonly string[];
  /**
   * Storage key of a JSON array of the inputs, when a launcher moved them out of the spec because they were
   * too many to send (a join after a very wide foreach on AWS Batch); `inputs` is then empty.
   */
  readonly inputsKey?: string;
  /**
   * What the runtime knows of each input (same order as `inputs`; null where it knows nothing): its
   * succeeded attempt and that attempt's artifacts, read from the input's done record. A join uses them
   * instead of reading each input's records.
   */
  readonly inputData?: readonly (InputData | null)[];
  readonly foreachStack: readonly ForeachFrame[];
  /** The storage the task reads and writes (`{ kind: 'local', root }`, ...). */
  readonly storage: { readonly kind: string; readonly root: string };
  readonly maxNumSplits: number;
  readonly decorators: readonly ResolvedDecorator[];
}

/** Everything a launcher needs to start one task attempt. */
export interface TaskLaunchSpec {
  readonly task: TaskSpec;
  /** `Flow/run/step/task`. */
  readonly pathspec: string;
  /** sha256 of the code package. */
  readonly codePackage: string;
  /** Path of the materialized bundle, for launchers that run it on this machine. */
  readonly bundlePath: string;
  /** Environment variables the decorators ask for (e.g. `@environment`). */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Whether the attempt's output lines are printed now (a wide step prints progress instead): a launcher
   * that fetches the output from afar may skip the reads nobody would see. Absent: printed.
   */
  readonly outputPrinted?: () => boolean;
}

/** How an attempt ended, as the launcher saw it. */
export interface LaunchOutcome {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Set when the launcher itself stopped the attempt (interrupt, timeout). */
  readonly killedReason?: string;
  /**
   * The launcher's explanation of a failed attempt (out of memory, image pull failed, ...), shown as the
   * task's failure when the task recorded no result of its own. Local processes leave it unset.
   */
  readonly failure?: string;
}

/** A started attempt. */
export interface LaunchedTask {
  readonly pid?: number;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly done: Promise<LaunchOutcome>;
  /** Stops the attempt and everything it started; resolves once it is gone. */
  kill(reason: string): Promise<void>;
  /**
   * True when the attempt saves its own `stdout.log`/`stderr.log` (e.g. a task in a remote container): the
   * runtime then only prints `stdout`/`stderr` and does not store them over the task's logs.
   */
  readonly storesOwnLogs?: boolean;
}

/**
 * Starts task attempts somewhere: a local process, an AWS Batch job, ... A launcher runs the same task
 * entry point (`node bundle.mjs step <spec>`) wherever it runs.
 *
 * @example
 * ```ts
 * const task = launcher.launch(spec);
 * task.stdout.on('data', (d) => process.stdout.write(d));
 * const outcome = await task.done;
 * launcher.remote; // true for a launcher of AWS Batch jobs
 * ```
 */
export interface TaskLauncher {
  readonly name: string;
  /**
   * True when the launcher's attempts run on another machine (an AWS Batch job), false or absent for
   * processes on this machine. It decides which cap of attempts in flight applies: without an explicit
   * `--max-workers`, local attempts are capped at 16 and remote ones at `STEPFLOW_MAX_REMOTE_WORKERS`
   * (default 10,000: the compute environment's vCPUs bound them); an explicit `--max-workers N` caps both.
   */
  readonly remote?: boolean;
  launch(spec: TaskLaunchSpec): LaunchedTask;
}

/** How the previous attempt of a task ended (for hooks of a retry). */
export interface PreviousAttempt {
  readonly attempt: number;
  readonly error?: TaskErrorInfo;
  /** True when the attempt was stopped from outside (timeout, interrupt) or died without a result. */
  readonly killed: boolean;
}

/** Context of in-task hooks (run inside the task process). */
export interface TaskHookContext<O> extends StepWhere {
  readonly options: O;
  readonly runId: string;
  readonly taskId: string;
  readonly retryCount: number;
  /** The attempts the runtime will make in all (1 + retries). */
  readonly maxAttempts: number;
  /** Attempts reserved by decorators for error handling (the largest `error` of `retryCount`). */
  readonly errorRetries: number;
  /** The flow instance running the step. */
  readonly flow: object;
  /** The previous attempt of this task, when this attempt is a retry. */
  readonly previousAttempt?: PreviousAttempt;
  /** Sets an artifact of this task (as `this[name] = value` would). */
  setArtifact(name: string, value: unknown): void;
  /** A thrown value as this task records it: type, message, stack mapped to the user's sources. */
  describeError(error: unknown): TaskErrorInfo;
}

/** Context of {@link StepDecoratorPlugin.taskException}. */
export interface TaskExceptionContext<O> extends TaskHookContext<O> {
  readonly error: unknown;
}

/** A replacement for the step's body returned by {@link StepDecoratorPlugin.taskDecorate}. */
export interface StepReplacement {
  /** Runs instead of the user's code; the task then continues to the step's targets in the graph. */
  run(): void | Promise<void>;
}

/** A limit on how long one attempt may run, and where it comes from. */
export interface AttemptTimeout {
  readonly seconds: number;
  /** Shown when the attempt is stopped, e.g. `@timeout(minutes=5)`. */
  readonly source: string;
}

/**
 * Context of {@link StepDecoratorPlugin.checkGraph}: the flow's static graph, with each step's decorators
 * as written (name, literal options, line).
 *
 * @example
 * ```ts
 * const check = ({ graph }: GraphCheckContext) => graph.order.filter((s) => graph.steps[s]?.foreach);
 * ```
 */
export interface GraphCheckContext {
  readonly graph: FlowGraph;
}

/**
 * A step decorator plugin: parses its options and implements whichever hooks it needs.
 *
 * @example
 * ```ts
 * const plugin: StepDecoratorPlugin<{ vars: Record<string, string> }> = {
 *   name: 'environment',
 *   parseOptions: (raw) => ({ vars: (raw.vars ?? {}) as Record<string, string> }),
 *   taskEnvironment: ({ options }) => options.vars,
 * };
 * ```
 */
export interface StepDecoratorPlugin<O = Record<string, unknown>> {
  readonly name: string;
  /** Option names accepted, in camelCase (snake_case spellings are accepted too). */
  readonly optionNames: readonly string[];
  /** May the decorator appear more than once on a step? */
  readonly allowMultiple?: boolean;
  /**
   * What only a run can check about this decorator (it needs AWS, the chosen datastore, ...), one short
   * phrase each; `stepflow check` lists them as not checked, e.g. `the job queue exists (needs AWS)`.
   */
  readonly checkedOnlyAtRun?: readonly string[];
  /** CLI commands the plugin contributes (`stepflow batch ...`). */
  readonly commands?: readonly PluginCommand[];
  /** The rules {@link StepDecoratorPlugin.checkGraph} reports, by name, with what each refuses. */
  readonly graphRules?: Readonly<Record<string, string>>;
  /**
   * Static rules on the flow's graph where the plugin's decorator is written (e.g. `@catchError` on a step
   * that starts a foreach): `stepflow check` reports the problems with the graph's, and `run` refuses the
   * flow with them, before anything is built or stored.
   */
  checkGraph?(ctx: GraphCheckContext): readonly GraphProblem[];
  /** Validates raw options; throws a `DecoratorOptionError` naming the option and the allowed values. */
  parseOptions(raw: Readonly<Record<string, unknown>>, where: StepWhere): O;
  stepInit?(ctx: StepInitContext<O>): void;
  /**
   * Once per run, before the run is named: every check that needs more than the options (the datastore
   * kind, a queue that must exist) throws here to refuse the run; no run id is made or printed then, and
   * no run record written. Content-addressed blobs (the code package) may already be stored.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a plugin that keeps nothing for the run returns nothing
  runtimeCheck?(ctx: RuntimeCheckContext): void | RunScope | Promise<void | RunScope>;
  /**
   * Once per run, after it is named and before the first task. May still throw (the run is then recorded
   * as failed with no tasks), but what can be known beforehand belongs in `runtimeCheck`. What the plugin
   * keeps for the run is returned as a {@link RunScope}.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a plugin that keeps nothing for the run returns nothing
  runtimeInit?(ctx: RuntimeRunContext): void | RunScope | Promise<void | RunScope>;
  retryCount?(ctx: { readonly options: O }): RetryCounts;
  taskEnvironment?(ctx: RuntimeTaskContext<O>): Readonly<Record<string, string>>;
  launcher?(ctx: RuntimeTaskContext<O>): TaskLauncher | undefined;
  /** How long an attempt may run; the runtime stops it after the shortest limit any decorator sets. */
  attemptTimeout?(ctx: RuntimeTaskContext<O>): AttemptTimeout | undefined;
  /** Once per run, after `runtimeInit` was called, whatever the run's end (a `finally`). */
  runtimeFinished?(ctx: RuntimeRunContext): void | Promise<void>;
  taskPreStep?(ctx: TaskHookContext<O>): void | Promise<void>;
  /** Returns a replacement for the step's body (e.g. a fallback after a killed attempt), or nothing. */
  taskDecorate?(ctx: TaskHookContext<O>): StepReplacement | undefined;
  taskPostStep?(ctx: TaskHookContext<O>): void | Promise<void>;
  /** Returns true when the exception was handled (the task then succeeds). */
  taskException?(ctx: TaskExceptionContext<O>): boolean | Promise<boolean>;
  taskFinished?(ctx: TaskHookContext<O> & { readonly ok: boolean }): void | Promise<void>;
}
