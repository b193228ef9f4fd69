/**
 * Starting a run: resolve decorators and run every check that can refuse the run (plugins' `runtimeCheck`
 * included), store the code package and parameters, name the run (its record created under an id no
 * other run has), then schedule the tasks and record how the run ended.
 *
 * @module
 */
import { dirname } from 'node:path';
import { currentUser } from '../config/index.js';
import type { ArtifactRef, RunRecord, StorageBackend } from '../datastore/index.js';
import { FlowDatastore } from '../datastore/index.js';
import type {
  LayerInfo,
  LayerRequest,
  ResolvedDecorator,
  RunEnd,
  RunScope,
  RuntimeCheckContext,
  RuntimeRunContext,
  TaskLauncher,
} from '../decorators/index.js';
import { checkAttemptCap, RunHooks, resolveDecorators, type WithSpec } from '../decorators/index.js';
import { buildDependencyLayer } from '../package/layer/build-layer.js';
import { storeCodePackage } from '../package/store.js';
import { RuntimeError } from './errors.js';
import type { LoadedFlow } from './load-flow.js';
import { LocalLauncher } from './local-launcher.js';
import type { Reporter, RunSummary } from './reporter.js';
import { type Cloner, planResume } from './resume.js';
import { claimRun } from './run-id.js';
import { Scheduler } from './scheduler.js';

/** Options of {@link prepareRun}. */
export interface RunOptions {
  readonly flow: LoadedFlow;
  readonly storage: StorageBackend;
  /** Parameter values, already typed and checked (ignored when resuming: the origin's are used). */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** Resume an earlier run: clone what need not run again. */
  readonly resume?: { readonly originRunId: string; readonly step?: string };
  readonly tags?: readonly string[];
  readonly withSpecs?: readonly WithSpec[];
  /**
   * `--max-workers N` when the user gave it: the most attempts in flight, local and remote together.
   * Leave it out to cap local attempts at `maxLocalWorkers` and remote ones at `maxRemoteWorkers`.
   */
  readonly maxWorkers?: number;
  /** Without `maxWorkers`: the most local attempts in flight (default 16; `STEPFLOW_MAX_WORKERS` in the CLI). */
  readonly maxLocalWorkers?: number;
  /** Without `maxWorkers`: the most remote attempts in flight (default 10,000; `STEPFLOW_MAX_REMOTE_WORKERS`). */
  readonly maxRemoteWorkers?: number;
  readonly maxNumSplits?: number;
  readonly reporter?: Reporter;
  readonly launcher?: TaskLauncher;
  /**
   * Settings of this run for plugins, by plugin name (passed to their hooks as `pluginOptions`): tests and
   * benchmarks give `@batch` a fake API or a faster poll here, e.g. `{ batch: { pollMs: 100 } }`.
   */
  readonly pluginOptions?: Readonly<Record<string, object>>;
}

/** A run that is named (its record exists) and ready to start. */
export interface PreparedRun {
  readonly flowName: string;
  readonly runId: string;
  readonly decorators: ReadonlyMap<string, readonly ResolvedDecorator[]>;
  /** Stores the run's records and runs it to the end. */
  start(): Promise<RunSummary>;
  /** Stops the run's tasks (Ctrl-C). */
  interrupt(reason: string): Promise<void>;
  /**
   * The run scopes the plugin named `name` returned for this run (e.g. `@batch`'s, which holds the run's
   * launcher and its AWS call counts); empty once the run is finished.
   */
  scopesOf(name: string): readonly RunScope[];
  /** Releases what plugins keep for the run when it will not be started (`start()` does it otherwise). */
  discard(): Promise<void>;
}

/** The user a run belongs to: `METAFLOW_USER`, else the OS user (shared with the client). */
export { currentUser };

/**
 * Checks everything that can refuse the run — decorators and their options, the resume origin and step,
 * each plugin's `runtimeCheck` (datastore kind, queues, ...) — and only then names the run: its
 * `_meta/run.json` is created under an id no other run has (see {@link claimRun}). A refused run has no
 * id and no record. `start()` stores the rest and runs it.
 *
 * @example
 * ```ts
 * const run = await prepareRun({ flow, storage, parameters: { alpha: 0.2 } });
 * console.log(`${run.flowName}/${run.runId}`);
 * const summary = await run.start();
 * ```
 */
export async function prepareRun(options: RunOptions): Promise<PreparedRun> {
  const { flow, storage } = options;
  const flowName = flow.graph.flowName;
  const staticUses = new Map([...flow.info.steps].map(([name, s]) => [name, s.decorators]));
  const decorators = resolveDecorators(flow.graph, staticUses, options.withSpecs ?? []);
  checkAttemptCap(flowName, decorators);
  const fds = new FlowDatastore(storage, flowName);
  const user = currentUser();
  const resume = options.resume && (await checkResume(fds, flow, options.resume));
  const hooks = new RunHooks(decorators);
  const checkContext: RuntimeCheckContext = {
    flowName,
    graph: flow.graph,
    decorators,
    storage,
    codePackage: flow.codePackage,
    user,
    notice: (message: string) => options.reporter?.notice?.(message),
    buildLayer: (request: LayerRequest) => layerFor(flow, request),
    ...(options.pluginOptions ? { pluginOptions: options.pluginOptions } : {}),
  };
  await hooks.runtimeCheck(checkContext);
  const origin = resume?.origin;
  const startedAt = new Date().toISOString();
  let parameters: Record<string, ArtifactRef>;
  let runId: string;
  try {
    await storeCodePackage(storage, flowName, flow.codePackage);
    parameters = origin ? origin.parameters : await fds.saveArtifacts({ ...options.parameters });
    runId = await claimRun(fds, (runId) => ({
      flowName,
      runId,
      user,
      tags: [
        ...new Set([
          `user:${user}`,
          ...(origin?.tags.filter((t) => !t.startsWith('user:')) ?? []),
          ...(options.tags ?? []),
        ]),
      ],
      startedAt,
      codePackage: flow.codePackage.sha,
      graph: flow.graph,
      parameters,
      ...(origin ? { originRunId: origin.runId } : {}),
      extra: {
        decorators: Object.fromEntries(decorators),
        ...(options.resume?.step ? { resumeStep: options.resume.step } : {}),
      },
    }));
  } catch (err) {
    await hooks.runtimeFinished({ ...checkContext, end: 'refused' }, err);
    throw err;
  }
  let scheduler: Scheduler | undefined;
  let interrupted: string | undefined;
  return {
    flowName,
    runId,
    decorators,
    async interrupt(reason: string) {
      interrupted ??= reason;
      await scheduler?.interrupt(reason);
    },
    scopesOf: (name: string) => hooks.scopesNamed(name),
    discard: () => hooks.runtimeFinished({ ...checkContext, runId, end: 'refused' }),
    async start() {
      const runContext: RuntimeRunContext = { ...checkContext, runId };
      let end: RunEnd = 'failed';
      let failure: unknown;
      try {
        const summary = await startRun();
        end = summary.status;
        return summary;
      } catch (err) {
        failure = err;
        throw err;
      } finally {
        // Always (a no-op when the run already finished them): what plugins keep for the run (launchers,
        // pollers, clients) is released, also when the run fails to start or throws.
        await hooks.runtimeFinished({ ...runContext, end }, failure);
      }
    },
  };

  async function startRun(): Promise<RunSummary> {
    const params = fds.parametersTask(runId);
    await params.writeAttemptStart({ attempt: 0, startedAt, inputs: [], foreachStack: [] });
    await params.writeData(0, parameters);
    await params.writeDone(0, {
      attempt: 0,
      ok: true,
      endedAt: startedAt,
      transition: { targets: ['start'] },
    });
    scheduler = new Scheduler({
      flowName,
      runId,
      graph: flow.graph,
      datastore: fds,
      storage: { kind: storage.kind, root: storage.root },
      codePackage: { sha: flow.codePackage.sha, bundlePath: flow.bundlePath },
      decorators,
      maxWorkers: options.maxWorkers,
      maxLocalWorkers: options.maxLocalWorkers,
      maxRemoteWorkers: options.maxRemoteWorkers,
      maxNumSplits: options.maxNumSplits ?? 100,
      defaultLauncher: options.launcher ?? new LocalLauncher(),
      reporter: options.reporter ?? {},
      cloner: resume?.clonerFor(runId),
      hooks,
    });
    const runContext: RuntimeRunContext = { ...checkContext, runId };
    try {
      await hooks.runtimeInit(runContext);
    } catch (err) {
      // Nothing was launched: record the run as failed so history does not show it running forever.
      await fds.writeRunStatus(runId, {
        status: 'failed',
        endedAt: new Date().toISOString(),
        failedTasks: [],
      });
      throw err;
    }
    const running = scheduler.run();
    if (interrupted) await scheduler.interrupt(interrupted);
    const summary = await running;
    await hooks.runtimeFinished({ ...runContext, end: summary.status });
    await fds.writeRunStatus(runId, {
      status: summary.status,
      endedAt: new Date().toISOString(),
      failedTasks: summary.failedTasks,
    });
    options.reporter?.runFinished?.(summary);
    return summary;
  }
}

/** The origin of a resume (which must exist) and the cloner for the new run; reads only. */
async function checkResume(
  fds: FlowDatastore,
  flow: LoadedFlow,
  resume: NonNullable<RunOptions['resume']>,
): Promise<{ origin: RunRecord; clonerFor: (runId: string) => Cloner }> {
  const origin = await fds.readRun(resume.originRunId);
  if (!origin) {
    const recent = (await fds.listRunIds()).slice(0, 5);
    throw new RuntimeError(
      `Cannot resume ${fds.flow}/${resume.originRunId}: no such run in ${fds.storage.root}. ` +
        (recent.length > 0
          ? `The latest runs are ${recent.join(', ')}; pass one with --origin-run-id, or leave it out to ` +
            'resume the latest failed run.'
          : `${fds.flow} has no runs there: check --datastore-root.`),
      { flow: fds.flow, runId: resume.originRunId },
    );
  }
  const clonerFor = await planResume(fds, flow.graph, resume.originRunId, resume.step);
  return { origin, clonerFor };
}

/**
 * The dependency layer of a loaded flow for a remote job's platform (a remote launcher asks through
 * `RuntimeRunContext.buildLayer`): the run's bundle leaves the same packages external on every platform,
 * so the layer is built from its manifest's externals for that platform, without the packages the image
 * provides; from the per-user cache when nothing changed.
 */
async function layerFor(flow: LoadedFlow, request: LayerRequest): Promise<LayerInfo | undefined> {
  const { externals } = flow.codePackage.manifest;
  if (externals.length === 0) return undefined;
  return await buildDependencyLayer({
    flowDir: dirname(flow.file),
    specifiers: externals,
    platform: request.platform,
    provided: request.provided,
  });
}
