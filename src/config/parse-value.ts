/**
 * Turning a setting's raw value (text from the environment, any JSON value from a profile file) into its
 * typed value, with an error that names the variable, the value and the expected type.
 *
 * @module
 */
import { ConfigError } from './errors.js';
import type { JsonObject, SettingDef } from './settings.js';
import { variableName } from './settings.js';

/** Where a raw value came from, for error messages. */
export interface RawOrigin {
  /** `env` (the detail is the variable) or `profile` (the detail is the file path). */
  readonly kind: 'env' | 'profile';
  readonly detail: string;
}

const TRUE = new Set(['true', '1']);
const FALSE = new Set(['false', '0', '']);

/**
 * What a setting expects, in words.
 *
 * @example
 * ```ts
 * expectedText(settingDef('S3_RETRY_COUNT')!); // 'a whole number >= 0'
 * ```
 */
export function expectedText(def: SettingDef): string {
  switch (def.type) {
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false (or 1 / 0)';
    case 'json':
      return 'a JSON object such as {"key": "value"}';
    case 'number': {
      const kind = def.integer ? 'a whole number' : 'a number';
      return def.min === undefined ? kind : `${kind} >= ${def.min}`;
    }
  }
}

/**
 * How a setting's default is described (`7`, `<cwd>/.stepflow`, `no value`).
 *
 * @example
 * ```ts
 * defaultText(settingDef('S3_RETRY_COUNT')!); // '7'
 * ```
 */
export function defaultText(def: SettingDef): string {
  if (def.defaultText) return def.defaultText;
  if (def.default === undefined) return 'no value';
  return typeof def.default === 'string' ? def.default : JSON.stringify(def.default);
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseNumber(def: SettingDef, raw: unknown): number | undefined {
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && raw.trim() !== '') n = Number(raw.trim());
  else return undefined;
  if (!Number.isFinite(n)) return undefined;
  if (def.integer && !Number.isInteger(n)) return undefined;
  if (def.min !== undefined && n < def.min) return undefined;
  return n;
}

function parseBoolean(raw: unknown): boolean | undefined {
  if (typeof raw === 'boolean') return raw;
  if (raw === 0 || raw === 1) return raw === 1;
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim().toLowerCase();
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  return undefined;
}

function parseJson(raw: unknown): JsonObject | undefined {
  if (isObject(raw)) return raw;
  if (typeof raw !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function parseString(raw: unknown): string | undefined {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  return undefined;
}

/**
 * Parses a raw value for `def`; a value of the wrong type is a {@link ConfigError}. Booleans are strict
 * (`true`/`false`/`1`/`0`, any case; `""` is false): a word Metaflow would read differently is refused
 * instead of guessed.
 *
 * @example
 * ```ts
 * parseSettingValue(settingDef('S3_RETRY_COUNT')!, '3', { kind: 'env', detail: 'METAFLOW_S3_RETRY_COUNT' }); // 3
 * ```
 */
export function parseSettingValue(def: SettingDef, raw: unknown, origin: RawOrigin): unknown {
  let value: unknown;
  switch (def.type) {
    case 'string':
      value = parseString(raw);
      break;
    case 'number':
      value = parseNumber(def, raw);
      break;
    case 'boolean':
      value = parseBoolean(raw);
      break;
    case 'json':
      value = parseJson(raw);
      break;
  }
  if (value !== undefined) return value;
  const variable = variableName(def);
  const shown = def.secret ? '<hidden: secret>' : (JSON.stringify(raw) ?? String(raw));
  const where = origin.kind === 'env' ? 'in the environment' : `in the profile file ${origin.detail}`;
  throw new ConfigError(
    `${variable}=${shown} (${where}) is not ${expectedText(def)}. ` +
      `Set it to ${expectedText(def)}, or remove it to use the default (${defaultText(def)}).`,
    { setting: variable, source: origin.detail },
  );
}
