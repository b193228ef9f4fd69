/**
 * The shape of a row of the settings table (see `settings.ts`).
 *
 * @module
 */

/** How a setting's text is parsed: `json` settings hold a JSON object. */
export type SettingType = 'string' | 'number' | 'boolean' | 'json';

/** A JSON value. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | JsonObject;

/** A JSON object (the value of `json` settings). */
export type JsonObject = { readonly [key: string]: JsonValue };

/** What a derived default can look at. */
export interface DefaultContext {
  /** The working directory the config was loaded for. */
  readonly cwd: string;
  /** The environment the config was loaded from. */
  readonly env: NodeJS.ProcessEnv;
  /** The effective value of another string setting (`undefined` when unset). */
  string(name: string): string | undefined;
}

/** One row of the table. */
export interface SettingDef {
  /** The name without prefix, e.g. `DEFAULT_DATASTORE`. */
  readonly name: string;
  readonly prefix: 'METAFLOW_' | 'STEPFLOW_';
  readonly type: SettingType;
  /** A fixed default, or one derived from other settings; absent means "no value". */
  readonly default?: string | number | boolean | JsonObject | ((ctx: DefaultContext) => unknown);
  /** How a derived default is described (`configure show`, help). */
  readonly defaultText?: string;
  /** Numbers only: must be a whole number. */
  readonly integer?: boolean;
  /** Numbers only: the smallest accepted value. */
  readonly min?: number;
  /** Credential-like: `configure show` masks the value. */
  readonly secret?: boolean;
  readonly help: string;
}
