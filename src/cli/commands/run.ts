/**
 * `stepflow run flow.ts [options] [--parameter value ...]`.
 *
 * @module
 */
import { writeFile } from 'node:fs/promises';
import { loadConfig, resolveDatastoreSpec } from '../../config/index.js';
import { FlowDatastore, openStorage } from '../../datastore/index.js';
import { parseWithSpec } from '../../decorators/index.js';
import {
  currentUser,
  kebabCase,
  latestFailedRun,
  loadFlow,
  type ParameterDef,
  parameterDefs,
  prepareRun,
  resolveParameters,
  UsageError,
} from '../../runtime/index.js';
import { ConsoleReporter } from '../console-reporter.js';
import { parseParameterArgs, RUN_OPTIONS, type RunCliOptions, splitRunArgs } from '../run-args.js';

const USAGE = {
  run: [
    'Usage: stepflow run <flow.ts> [options] [--parameter <value> ...]',
    '',
    'Runs a flow: prints Flow/<runId> first; exit code 0 when every task succeeded, 1 when one failed.',
  ],
  resume: [
    'Usage: stepflow resume <flow.ts> [step] [options]',
    '',
    'Re-runs a failed run as a new run: tasks that finished before [step] (default: the first step that',
    "failed) are cloned from the origin run, the rest run again with the origin run's parameters.",
  ],
} as const;

/**
 * The help of `run` or `resume`: usage, options with their value placeholders, the flow's parameters.
 *
 * @example
 * ```ts
 * process.stdout.write(runHelp(parameterDefs(flow.info, new flow.flowClass()), 'run'));
 * ```
 */
export function runHelp(defs: readonly ParameterDef[] | undefined, mode: 'run' | 'resume' = 'run'): string {
  const rows: [string, string][] = [];
  for (const [flag, spec] of Object.entries(RUN_OPTIONS)) {
    if (spec.only === undefined || spec.only === mode) rows.push([`${flag} ${spec.value}`, spec.help]);
  }
  rows.push(['-h, --help', 'print this help']);
  const params: [string, string][] = [];
  for (const d of mode === 'run' ? (defs ?? []) : []) {
    const def =
      d.default === undefined
        ? d.required
          ? 'required'
          : 'no default'
        : `default ${JSON.stringify(d.default)}`;
    const flag = `--${kebabCase(d.name)}`;
    const form = d.type === 'boolean' ? `${flag}, --no-${kebabCase(d.name)}` : `${flag} <${d.type}>`;
    params.push([form, `${d.type}; ${def}${d.help ? `. ${d.help}` : ''}`]);
  }
  const width = Math.max(...[...rows, ...params].map(([f]) => f.length)) + 2;
  const lines: string[] = [...USAGE[mode], '', 'Options:'];
  for (const [f, h] of rows) lines.push(`  ${f.padEnd(width)}${h}`);
  if (params.length > 0) {
    lines.push('', 'Parameters:');
    for (const [f, h] of params) lines.push(`  ${f.padEnd(width)}${h}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The command that resumes the latest failed run of this flow, as the user would type it. */
function resumeCommandFor(
  args: Pick<RunCliOptions, 'flowName' | 'datastore' | 'datastoreRoot'> & { flowFile: string },
  defaultDatastore: string,
): string {
  const quote = (s: string) => (/^[\w./:@=+-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);
  const parts = ['stepflow', 'resume', args.flowFile];
  if (args.flowName) parts.push('--flow', args.flowName);
  if (args.datastore !== defaultDatastore) parts.push('--datastore', args.datastore);
  if (args.datastoreRoot) parts.push('--datastore-root', args.datastoreRoot);
  return parts.map(quote).join(' ');
}

/**
 * Runs a flow locally; returns the process exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await runCommand(['flow.ts', '--alpha', '0.2']);
 * ```
 */
export function runCommand(argv: readonly string[]): Promise<number> {
  return execute(argv, 'run');
}

/**
 * Resumes a run (`stepflow resume flow.ts [step] [--origin-run-id ID]`); returns the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await resumeCommand(['flow.ts', 'train']);
 * ```
 */
export function resumeCommand(argv: readonly string[]): Promise<number> {
  return execute(argv, 'resume');
}

async function execute(argv: readonly string[], mode: 'run' | 'resume'): Promise<number> {
  const config = loadConfig();
  const args = splitRunArgs(argv, {
    maxWorkers: config.get('MAX_WORKERS'),
    datastore: config.get('DEFAULT_DATASTORE'),
  });
  if (!args.flowFile) {
    if (args.help) {
      process.stdout.write(runHelp(undefined, mode));
      return 0;
    }
    throw new UsageError(`Missing the flow file: stepflow ${mode} <flow.ts> [options].`);
  }
  const maxPositionals = mode === 'resume' ? 1 : 0;
  if (args.positionals.length > maxPositionals) {
    throw new UsageError(
      `Unexpected argument "${args.positionals[maxPositionals]}": ` +
        (mode === 'run'
          ? 'stepflow run takes one flow file.'
          : 'stepflow resume takes a flow file and one step.'),
    );
  }
  if (mode === 'run' && args.originRunId) {
    throw new UsageError('--origin-run-id belongs to resume: stepflow resume <flow.ts> --origin-run-id ID.', {
      option: '--origin-run-id',
    });
  }
  const flow = await loadFlow(args.flowFile, { flowName: args.flowName });
  const flowName = flow.graph.flowName;
  const defs = parameterDefs(flow.info, new flow.flowClass());
  if (args.help) {
    process.stdout.write(runHelp(defs, mode));
    return 0;
  }
  const given = parseParameterArgs(args.rest, defs, flowName);
  if (mode === 'resume' && Object.keys(given).length > 0) {
    throw new UsageError(
      `resume takes the parameters of the origin run; remove --${Object.keys(given).map(kebabCase).join(', --')}.`,
    );
  }
  const parameters = mode === 'resume' ? {} : resolveParameters(defs, given, flowName);
  const storage = await openStorage(resolveDatastoreSpec(config, args));
  const reporter = new ConsoleReporter({
    stdout: process.stdout,
    stderr: process.stderr,
    resumeCommand: resumeCommandFor({ ...args, flowFile: args.flowFile }, config.get('DEFAULT_DATASTORE')),
  });
  let resume: { originRunId: string; step?: string } | undefined;
  if (mode === 'resume') {
    const fds = new FlowDatastore(storage, flowName);
    const originRunId = args.originRunId ?? (await latestFailedRun(fds, currentUser()));
    resume = { originRunId, step: args.positionals[0] };
  }
  const run = await prepareRun({
    flow,
    storage,
    parameters,
    tags: args.tags,
    withSpecs: args.with.map(parseWithSpec),
    ...(args.maxWorkersGiven ? { maxWorkers: args.maxWorkers } : {}),
    maxLocalWorkers: args.maxWorkers,
    maxRemoteWorkers: config.get('MAX_REMOTE_WORKERS'),
    maxNumSplits: args.maxNumSplits,
    reporter,
    resume,
  });
  process.stdout.write(`${flowName}/${run.runId}\n`);
  if (resume) {
    const from = resume.step ? ` from step ${resume.step}` : '';
    process.stdout.write(`Resuming ${flowName}/${resume.originRunId}${from}\n`);
  }
  if (args.runIdFile) {
    // The run will not start: release what plugins keep for it (e.g. @batch's AWS clients).
    await writeFile(args.runIdFile, run.runId).catch(async (err: unknown) => {
      await run.discard();
      throw err;
    });
  }
  let signals = 0;
  let finished = false;
  // The handlers stay installed until the process exits (removing one restores the default action, and a
  // late second Ctrl-C would then kill the process mid-report); after the run they do nothing.
  const onSignal = (signal: NodeJS.Signals) => {
    if (finished) return;
    signals++;
    if (signals === 1) void run.interrupt(`${signal} received`);
    else reporter.notice(`Still stopping the run's tasks (${signal} again); they will all be stopped first.`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const summary = await run.start();
    if (summary.status === 'interrupted') return 130;
    return summary.status === 'successful' ? 0 : 1;
  } finally {
    finished = true;
  }
}
