/**
 * Settings resolved as Metaflow resolves them: the environment variable `METAFLOW_<NAME>`, then the
 * profile file (`$METAFLOW_HOME/config.json`, home `~/.metaflowconfig` by default; `METAFLOW_PROFILE=p`
 * selects `config_p.json`, which must exist), then the default.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { errorMessage } from '../common/index.js';
import { ConfigError } from './errors.js';
import { defaultText, parseSettingValue } from './parse-value.js';
import {
  type DefaultContext,
  SETTINGS,
  type SettingDef,
  type SettingName,
  type SettingType,
  type SettingValue,
  settingDef,
  variableName,
} from './settings.js';

/** Where a setting's effective value came from. */
export interface SettingSource {
  /** `env`: an environment variable; `profile`: the profile file; `default`: the built-in default. */
  readonly kind: 'env' | 'profile' | 'default';
  /** The variable (`METAFLOW_X`), the profile file path, or how the default is made (`7`, `<cwd>/.stepflow`). */
  readonly detail: string;
}

/** The profile file a config was loaded from. */
export interface ProfileFile {
  readonly path: string;
  /** The `METAFLOW_PROFILE` name, when one is selected. */
  readonly profile?: string;
  /** Whether the file exists (a missing default file means "all defaults"). */
  readonly found: boolean;
}

/** One setting with its effective value (or the error reading it), for `stepflow configure show`. */
export interface SettingEntry {
  readonly name: string;
  /** The variable name with prefix, e.g. `METAFLOW_BATCH_JOB_QUEUE`. */
  readonly variable: string;
  readonly type: SettingType;
  readonly secret: boolean;
  readonly help: string;
  readonly source: SettingSource;
  /** The typed value; `undefined` when unset or when `error` is set. */
  readonly value?: unknown;
  /** Why the value cannot be used. */
  readonly error?: ConfigError;
}

/** The resolved settings of one process (see {@link loadConfig}). */
export interface Config {
  /** The profile file that was read (or would have been). */
  readonly profile: ProfileFile;
  /** The typed effective value; a value of the wrong type throws a {@link ConfigError}. */
  get<N extends SettingName>(name: N): SettingValue<N>;
  /** Where the effective value comes from. */
  source(name: SettingName): SettingSource;
  /** Every setting in table order; bad values are reported in `error` instead of thrown. */
  all(): SettingEntry[];
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** The working directory (derived defaults, a relative `METAFLOW_HOME`); default `process.cwd()`. */
  readonly cwd?: string;
  /** The home folder of `~/.metaflowconfig`; default `os.homedir()`. */
  readonly homeDir?: string;
}

type Computed =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: ConfigError };

function expandHome(p: string, home: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(home, p.slice(1)) : p;
}

function profilePath(env: NodeJS.ProcessEnv, cwd: string, home: string): ProfileFile {
  const dir = path.resolve(cwd, expandHome(env.METAFLOW_HOME || '~/.metaflowconfig', home));
  const profile = env.METAFLOW_PROFILE || undefined;
  return { path: path.join(dir, profile ? `config_${profile}.json` : 'config.json'), profile, found: false };
}

function readProfile(file: ProfileFile): { file: ProfileFile; values: Readonly<Record<string, unknown>> } {
  let text: string;
  try {
    text = readFileSync(file.path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !file.profile) return { file, values: {} };
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ConfigError(
        `Metaflow profile "${file.profile}" not found: METAFLOW_PROFILE=${file.profile} needs ${file.path}. ` +
          `Create that file (a JSON object such as {"METAFLOW_DEFAULT_DATASTORE": "s3"}), ` +
          'set METAFLOW_HOME to the folder that holds it, or unset METAFLOW_PROFILE.',
        { setting: 'METAFLOW_PROFILE', source: file.path, cause: err },
      );
    }
    throw new ConfigError(`Cannot read the Metaflow profile file ${file.path}: ${errorMessage(err)}.`, {
      source: file.path,
      cause: err,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      `The Metaflow profile file ${file.path} is not valid JSON (${errorMessage(err)}). ` +
        'Fix it: it holds one JSON object such as {"METAFLOW_DEFAULT_DATASTORE": "s3"}.',
      { source: file.path, cause: err },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(
      `The Metaflow profile file ${file.path} must hold a JSON object such as ` +
        '{"METAFLOW_DEFAULT_DATASTORE": "s3"}.',
      { source: file.path },
    );
  }
  return { file: { ...file, found: true }, values: parsed as Record<string, unknown> };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

class ResolvedConfig implements Config {
  readonly profile: ProfileFile;
  readonly #env: NodeJS.ProcessEnv;
  readonly #values: Readonly<Record<string, unknown>>;
  readonly #cwd: string;
  readonly #computed = new Map<string, Computed>();

  constructor(
    env: NodeJS.ProcessEnv,
    cwd: string,
    profile: ProfileFile,
    values: Readonly<Record<string, unknown>>,
  ) {
    this.#env = env;
    this.#cwd = cwd;
    this.profile = profile;
    this.#values = values;
  }

  get<N extends SettingName>(name: N): SettingValue<N> {
    const computed = this.#compute(this.#def(name));
    if (!computed.ok) throw computed.error;
    return computed.value as SettingValue<N>;
  }

  source(name: SettingName): SettingSource {
    return this.#raw(this.#def(name)).source;
  }

  all(): SettingEntry[] {
    return SETTINGS.map((def: SettingDef) => {
      const computed = this.#compute(def);
      return {
        name: def.name,
        variable: variableName(def),
        type: def.type,
        secret: def.secret === true,
        help: def.help,
        source: this.#raw(def).source,
        ...(computed.ok ? { value: computed.value } : { error: computed.error }),
      };
    });
  }

  #def(name: string): SettingDef {
    const def = settingDef(name);
    if (!def) {
      throw new ConfigError(
        `Unknown setting "${name}": use a name from the settings table without prefix, e.g. DEFAULT_DATASTORE.`,
        { setting: name },
      );
    }
    return def;
  }

  #raw(def: SettingDef): { source: SettingSource; raw?: unknown } {
    const variable = variableName(def);
    const fromEnv = this.#env[variable];
    if (fromEnv !== undefined && fromEnv !== '')
      return { source: { kind: 'env', detail: variable }, raw: fromEnv };
    for (const key of [variable, def.name]) {
      const v = this.#values[key];
      if (v !== undefined && v !== null)
        return { source: { kind: 'profile', detail: this.profile.path }, raw: v };
    }
    return { source: { kind: 'default', detail: defaultText(def) } };
  }

  #compute(def: SettingDef): Computed {
    const cached = this.#computed.get(def.name);
    if (cached) return cached;
    let computed: Computed;
    try {
      const { source, raw } = this.#raw(def);
      let value: unknown;
      if (source.kind === 'default') {
        value =
          typeof def.default === 'function' ? def.default(this.#context()) : structuredClone(def.default);
      } else {
        value = parseSettingValue(def, raw, { kind: source.kind, detail: source.detail });
        if (def.type === 'json') value = structuredClone(value);
      }
      computed = { ok: true, value: deepFreeze(value) };
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      computed = { ok: false, error: err };
    }
    this.#computed.set(def.name, computed);
    return computed;
  }

  #context(): DefaultContext {
    return {
      cwd: this.#cwd,
      env: this.#env,
      string: (name: string) => {
        const computed = this.#compute(this.#def(name));
        if (!computed.ok) throw computed.error;
        return typeof computed.value === 'string' ? computed.value : undefined;
      },
    };
  }
}

/**
 * Reads the profile file once and returns the settings: each resolves as environment variable, then
 * profile file (keys with or without the `METAFLOW_` prefix), then default. A missing `config.json` means
 * "all defaults"; a missing `METAFLOW_PROFILE` file or invalid JSON is a {@link ConfigError}.
 *
 * @example
 * ```ts
 * const config = loadConfig();
 * config.get('DEFAULT_DATASTORE');    // 'local'
 * config.source('BATCH_JOB_QUEUE');   // { kind: 'profile', detail: '/home/me/.metaflowconfig/config.json' }
 * loadConfig({ METAFLOW_HOME: '/tmp/mf', METAFLOW_PROFILE: 'dev' }); // reads /tmp/mf/config_dev.json
 * ```
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): Config {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const { file, values } = readProfile(profilePath(env, cwd, options.homeDir ?? homedir()));
  return new ResolvedConfig(env, cwd, file, values);
}
