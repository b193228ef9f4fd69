/**
 * Parsing `stepflow run flow.ts [options] [--parameter value ...]`. Options may come in any order after
 * the flow file; the flow's parameters are only known once the flow is loaded, so parsing has two phases:
 * {@link splitRunArgs} (before loading) and {@link parseParameterArgs} (after).
 *
 * @module
 */

import { didYouMean } from '../common/did-you-mean.js';
import { coerceParameter, kebabCase, type ParameterDef, UsageError } from '../runtime/index.js';

/** The runtime's own options of `run`. */
export interface RunCliOptions {
  flowFile?: string;
  flowName?: string;
  /** `--max-workers`, else the default (`STEPFLOW_MAX_WORKERS`, else 16): the cap of local attempts. */
  maxWorkers: number;
  /** True when `--max-workers` was given: it then caps every attempt in flight, remote ones too. */
  maxWorkersGiven: boolean;
  maxNumSplits: number;
  datastore: string;
  datastoreRoot?: string;
  tags: string[];
  with: string[];
  runIdFile?: string;
  originRunId?: string;
  help: boolean;
  /** Positional arguments after the flow file (e.g. the step of `resume`). */
  positionals: string[];
  /** Everything else: parameter options, parsed once the flow is known. */
  rest: string[];
}

interface OptionSpec {
  readonly key: keyof RunCliOptions;
  readonly kind: 'int' | 'string' | 'list';
  /** The value's placeholder in help (`<n>`). */
  readonly value: string;
  readonly help: string;
  /** The only command that takes it (default: both). */
  readonly only?: 'run' | 'resume';
}

/** The built-in options of `run` and `resume`, by flag. */
export const RUN_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  '--max-workers': {
    value: '<n>',
    key: 'maxWorkers',
    kind: 'int',
    help:
      'most tasks running at once, local and remote (@batch) together (default: STEPFLOW_MAX_WORKERS, else 16, ' +
      'local tasks; STEPFLOW_MAX_REMOTE_WORKERS, else 10000, remote ones)',
  },
  '--max-num-splits': {
    value: '<n>',
    key: 'maxNumSplits',
    kind: 'int',
    help: 'most tasks one foreach may create (default 100)',
  },
  '--datastore': {
    value: '<local|s3>',
    key: 'datastore',
    kind: 'string',
    help: 'where runs are stored: local or s3 (default METAFLOW_DEFAULT_DATASTORE, else local)',
  },
  '--datastore-root': {
    value: '<dir>',
    key: 'datastoreRoot',
    kind: 'string',
    help: 'datastore root (default METAFLOW_DATASTORE_SYSROOT_LOCAL, else ./.stepflow; s3: METAFLOW_DATASTORE_SYSROOT_S3)',
  },
  '--tag': { key: 'tags', kind: 'list', value: '<tag>', help: 'add a tag to the run (repeatable)' },
  '--with': {
    value: '<decorator>',
    key: 'with',
    kind: 'list',
    help: 'add a decorator to every step: retry, or retry:times=2,minutes_between_retries=0 (repeatable)',
  },
  '--run-id-file': {
    key: 'runIdFile',
    kind: 'string',
    value: '<file>',
    help: 'write the run id to this file',
  },
  '--flow': {
    key: 'flowName',
    kind: 'string',
    value: '<name>',
    help: 'the flow class to run when the file has several',
  },
  '--origin-run-id': {
    value: '<run-id>',
    key: 'originRunId',
    kind: 'string',
    help: 'the run to resume (default: the latest failed run)',
    only: 'resume',
  },
};

function intValue(flag: string, text: string | undefined): number {
  const n = Number(text);
  if (text === undefined || !Number.isInteger(n) || n < 1) {
    throw new UsageError(
      `${flag} needs a positive whole number (got ${text === undefined ? 'nothing' : `"${text}"`}).`,
      {
        option: flag,
      },
    );
  }
  return n;
}

/**
 * Splits the arguments after `run` into the runtime's options and the rest (parameters). `defaults` come
 * from the config (`STEPFLOW_MAX_WORKERS`, `METAFLOW_DEFAULT_DATASTORE`); options override them.
 *
 * @example
 * ```ts
 * splitRunArgs(['flow.ts', '--max-workers', '8', '--alpha', '0.2']);
 * // { flowFile: 'flow.ts', maxWorkers: 8, rest: ['--alpha', '0.2'], ... }
 * ```
 */
export function splitRunArgs(
  argv: readonly string[],
  defaults: Partial<Pick<RunCliOptions, 'maxWorkers' | 'datastore'>> = {},
): RunCliOptions {
  const out: RunCliOptions = {
    maxWorkers: defaults.maxWorkers ?? 16,
    maxWorkersGiven: false,
    maxNumSplits: 100,
    datastore: defaults.datastore ?? 'local',
    tags: [],
    with: [],
    help: false,
    positionals: [],
    rest: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      out.help = true;
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const spec = RUN_OPTIONS[flag];
    if (spec) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`${flag} needs a value.`, { option: flag });
      if (spec.key === 'maxWorkers') out.maxWorkersGiven = true;
      if (spec.kind === 'int') (out[spec.key] as number) = intValue(flag, value);
      else if (spec.kind === 'list') (out[spec.key] as string[]).push(value);
      else (out[spec.key] as string) = value;
    } else if (arg.startsWith('-')) {
      out.rest.push(arg);
      if (eq < 0 && argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) out.rest.push(argv[++i]);
    } else if (out.flowFile === undefined) {
      out.flowFile = arg;
    } else {
      out.positionals.push(arg);
    }
  }
  return out;
}

/**
 * Parses parameter options (`--alpha 0.2`, `--max-depth=3`, `--flag`, `--no-flag`) against the flow's
 * parameters; an unknown option is an error listing the valid ones.
 *
 * @example
 * ```ts
 * parseParameterArgs(['--alpha', '0.2'], defs, 'TrainFlow'); // { alpha: 0.2 }
 * ```
 */
export function parseParameterArgs(
  rest: readonly string[],
  defs: readonly ParameterDef[],
  flowName: string,
): Record<string, unknown> {
  const byFlag = new Map<string, ParameterDef>();
  for (const def of defs) {
    byFlag.set(`--${def.name}`, def);
    byFlag.set(`--${kebabCase(def.name)}`, def);
  }
  const values: Record<string, unknown> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    let def = byFlag.get(flag);
    let negated = false;
    if (!def && flag.startsWith('--no-')) {
      const positive = byFlag.get(`--${flag.slice(5)}`);
      if (positive?.type === 'boolean') {
        def = positive;
        negated = true;
      }
    }
    if (!def) {
      const valid = [...Object.keys(RUN_OPTIONS), ...defs.map((d) => `--${kebabCase(d.name)}`)];
      throw new UsageError(
        `Unknown option ${flag} for ${flowName}.${didYouMean(flag, valid, '')} Valid options: ${valid.join(', ')}.` +
          (arg.startsWith('--') ? '' : ' Options start with --.'),
        { option: flag, flow: flowName },
      );
    }
    let text: string | undefined = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (def.type === 'boolean') {
      if (negated) {
        values[def.name] = false;
        continue;
      }
      if (text === undefined && /^(true|false|yes|no|1|0)$/i.test(rest[i + 1] ?? '')) text = rest[++i];
      values[def.name] = text === undefined ? true : coerceParameter(def, text, flowName);
      continue;
    }
    if (text === undefined) text = rest[++i];
    if (text === undefined || (text.startsWith('--') && Number.isNaN(Number(text)))) {
      throw new UsageError(`Parameter ${flag} of ${flowName} needs a value: ${flag} VALUE.`, {
        option: flag,
        flow: flowName,
      });
    }
    values[def.name] = coerceParameter(def, text, flowName);
  }
  return values;
}
