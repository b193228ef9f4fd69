/**
 * `stepflow batch list <flow.ts>` and `stepflow batch kill <flow.ts>`: the unfinished AWS Batch jobs of the
 * latest run (or `--run-id ID`, `--user NAME`, `--my-runs`), listed or terminated — for jobs left behind by
 * a runtime that was killed (SIGKILL) before it could end them. The `@batch` plugin contributes them to the
 * CLI as {@link batchCommand} (the plugin's `commands`); the CLI adds every plugin's commands.
 *
 * @module
 */
import { currentUser, loadConfig, resolveDatastoreSpec } from '../../config/index.js';
import type { StorageBackend } from '../../datastore/index.js';
import { openStorage } from '../../datastore/index.js';
import type { PluginCommand, PluginCommandContext, PluginCommandServices } from '../../decorators/index.js';
import { type BatchApi, sdkBatchApi } from './aws.js';
import { arrayLine } from './cli/run-arrays.js';
import { killJobs, type RunJob, type RunSelection, runJobs, selectRuns } from './cli/run-jobs.js';
import { BatchRunJobsError } from './errors.js';
import { batchSettings } from './settings.js';

/**
 * Options of {@link batchListCommand} and {@link batchKillCommand}.
 *
 * @example
 * ```ts
 * const options: BatchJobsOptions = { runId: '1764081234567123', datastore: 's3' };
 * ```
 */
export interface BatchJobsOptions extends RunSelection {
  /** The flow class, when the file has several. */
  readonly flow?: string;
  readonly datastore?: string;
  readonly datastoreRoot?: string;
  /** kill: seconds to wait for AWS to confirm (default 180). */
  readonly wait?: number;
  /** The Batch calls (tests); default the SDK clients. */
  readonly api?: BatchApi;
}

/**
 * The help text after the options of `stepflow batch list|kill --help`.
 *
 * @example
 * ```ts
 * command.addHelpText('after', BATCH_HELP);
 * ```
 */
export const BATCH_HELP = `
Without options: the latest run of the current user (METAFLOW_USER, else the OS user). --run-id ID:
that run; --user NAME or --my-runs: every run of that user. The jobs are found from the run's
<attempt>.batch.json records in the S3 datastore and with ListJobs on the run's queues (names
<user>-<flow>-<run>-...); unfinished = SUBMITTED, PENDING, RUNNABLE, STARTING or RUNNING.

Examples:
  stepflow batch list flow.ts
  stepflow batch kill flow.ts --run-id 1764081234567123`;

interface Context {
  readonly flowName: string;
  readonly storage: StorageBackend;
  readonly api: BatchApi;
  readonly jobs: RunJob[];
  readonly what: string;
}

async function unfinished(
  file: string,
  options: BatchJobsOptions,
  cli: PluginCommandServices,
): Promise<Context> {
  const flowName = await cli.flowNameOf(file, options.flow);
  const config = loadConfig();
  const spec = resolveDatastoreSpec(config, {
    datastore: options.datastore,
    datastoreRoot: options.datastoreRoot,
  });
  if (spec.kind !== 's3') {
    throw new BatchRunJobsError(
      `The @batch jobs of ${flowName} are recorded in the S3 datastore, but this command uses the ` +
        `${spec.kind} datastore (${spec.root}). Pass --datastore s3 (and --datastore-root s3://bucket/prefix), ` +
        'or set METAFLOW_DEFAULT_DATASTORE=s3 with METAFLOW_DATASTORE_SYSROOT_S3.',
      { flow: flowName },
    );
  }
  const storage = await openStorage(spec);
  const runs = await selectRuns(storage, flowName, options, currentUser(process.env, config));
  const api = options.api ?? sdkBatchApi();
  const jobs = await runJobs({ api, storage, flowName, defaultQueue: batchSettings(config).queue }, runs, {
    unfinished: true,
    warn: (m) => process.stderr.write(`[@batch] ${m}\n`),
  });
  const user = options.myRuns ? currentUser(process.env, config) : options.user;
  const what =
    options.runId !== undefined || user === undefined
      ? `${flowName}/${runs[0]?.runId ?? options.runId}`
      : `the ${runs.length} run(s) of ${flowName} by ${user}`;
  return { flowName, storage, api, jobs, what };
}

/**
 * Runs `act` on the unfinished jobs of the selected runs, or prints that there are none (`none` follows
 * the selection in that line) and gives 0; closes the SDK client it made either way.
 */
async function withUnfinished(
  file: string,
  options: BatchJobsOptions,
  cli: PluginCommandServices,
  none: string,
  act: (ctx: Context) => Promise<number>,
): Promise<number> {
  const ctx = await unfinished(file, options, cli);
  try {
    if (ctx.jobs.length === 0) {
      process.stdout.write(`No unfinished AWS Batch jobs for ${ctx.what}${none}.\n`);
      return 0;
    }
    return await act(ctx);
  } finally {
    if (!options.api) ctx.api.close();
  }
}

function line(job: RunJob): string {
  return `${job.pathspec} attempt ${job.attempt + 1}: job ${job.jobId} ${job.status} (queue ${job.queue})`;
}

/**
 * Prints the unfinished jobs, one line each (pathspec, attempt, job id, status, queue); returns 0.
 *
 * @example
 * ```ts
 * process.exitCode = await batchListCommand('flow.ts', { myRuns: true }, ctx.cli);
 * ```
 */
export async function batchListCommand(
  file: string,
  options: BatchJobsOptions,
  cli: PluginCommandServices,
): Promise<number> {
  return withUnfinished(file, options, cli, '', async (ctx) => {
    // An array job is one line with its children's counts; its children are not listed one by one.
    const arrays = new Set(ctx.jobs.filter((j) => j.array).map((j) => j.jobId));
    const shown = ctx.jobs.filter((j) => !j.arrayJobId || !arrays.has(j.arrayJobId));
    const children = ctx.jobs.length - shown.length;
    process.stdout.write(
      `${ctx.jobs.length - arrays.size} unfinished AWS Batch job(s) for ${ctx.what}` +
        `${children > 0 ? ` (${children} of them children of ${arrays.size} array job(s))` : ''}:\n`,
    );
    for (const job of shown) process.stdout.write(`${job.array ? arrayLine(job) : line(job)}\n`);
    return 0;
  });
}

/**
 * Terminates the unfinished jobs and waits until AWS says they ended; returns 0 when every one did, 1
 * when some could not be terminated or confirmed (each named, with what to do).
 *
 * @example
 * ```ts
 * process.exitCode = await batchKillCommand('flow.ts', { runId: '1764081234567123' }, ctx.cli);
 * ```
 */
export async function batchKillCommand(
  file: string,
  options: BatchJobsOptions,
  cli: PluginCommandServices,
): Promise<number> {
  return withUnfinished(file, options, cli, ': nothing to kill', async (ctx) => {
    const waitS = options.wait ?? 180;
    const result = await killJobs(ctx.api, ctx.jobs, {
      reason: `stepflow batch kill (${ctx.what})`,
      waitMs: waitS * 1000,
      pollMs: Number(process.env.STEPFLOW_BATCH_POLL_MS) || 1000,
      terminated: (job, error) =>
        process.stdout.write(
          error ? `Could not terminate ${line(job)}: ${error.message}\n` : `Terminating ${line(job)}\n`,
        ),
      progress: (m) => process.stderr.write(`[@batch] ${m}\n`),
    });
    for (const job of result.ended) process.stdout.write(`Ended ${line(job)}\n`);
    for (const job of result.unconfirmed) {
      process.stdout.write(
        `Not confirmed: AWS still shows job ${job.jobId} of ${job.pathspec} unfinished after ${waitS} s; ` +
          'run this command again later (or --wait longer).\n',
      );
    }
    const bad = result.failed.length + result.unconfirmed.length;
    process.stdout.write(
      bad === 0
        ? `All ${result.ended.length} job(s) of ${ctx.what} ended.\n`
        : `${result.ended.length} of ${ctx.jobs.length} job(s) of ${ctx.what} ended; ${bad} not (see above).\n`,
    );
    return bad === 0 ? 0 : 1;
  });
}

/** Seconds, as `--wait` takes them. */
function seconds(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new Error('expected a number of seconds.');
  return Number(value);
}

/** The options both subcommands take. */
const SELECTION_OPTIONS: PluginCommand['options'] = [
  { flags: '--flow <name>', description: 'the flow class, when the file has several' },
  { flags: '--run-id <id>', description: 'that run (default: the latest run of the current user)' },
  { flags: '--user <name>', description: 'every run of that user' },
  { flags: '--my-runs', description: 'every run of the current user' },
  {
    flags: '--datastore <kind>',
    description: 'the datastore (default METAFLOW_DEFAULT_DATASTORE; must be s3)',
  },
  {
    flags: '--datastore-root <url>',
    description: 'the S3 datastore root (default METAFLOW_DATASTORE_SYSROOT_S3)',
  },
];

const FLOW_ARGUMENT = [{ name: 'flow', description: 'the flow file' }] as const;

/** The flow file and the options of a `batch list|kill` invocation. */
function jobsArgs(ctx: PluginCommandContext): [string, BatchJobsOptions, PluginCommandServices] {
  return [ctx.args[0] ?? '', ctx.options as BatchJobsOptions, ctx.cli];
}

/**
 * `stepflow batch list|kill`, as the `@batch` plugin contributes it to the CLI.
 *
 * @example
 * ```ts
 * const plugin = { ...batchPlugin, commands: [batchCommand] };
 * batchCommand.subcommands?.map((c) => c.name); // ['list', 'kill']
 * ```
 */
export const batchCommand: PluginCommand = {
  name: 'batch',
  description: 'the AWS Batch jobs of past runs: stepflow batch list|kill <flow.ts> [--run-id ID]',
  subcommands: [
    {
      name: 'list',
      description: 'list the unfinished AWS Batch jobs of the latest run (or the runs selected)',
      arguments: FLOW_ARGUMENT,
      options: SELECTION_OPTIONS,
      help: BATCH_HELP,
      action: (ctx) => batchListCommand(...jobsArgs(ctx)),
    },
    {
      name: 'kill',
      description: 'terminate them and wait until AWS says they ended',
      arguments: FLOW_ARGUMENT,
      options: [
        ...(SELECTION_OPTIONS ?? []),
        { flags: '--wait <seconds>', description: 'how long to wait for AWS (default 180)', parse: seconds },
      ],
      help: BATCH_HELP,
      action: (ctx) => batchKillCommand(...jobsArgs(ctx)),
    },
  ],
};
