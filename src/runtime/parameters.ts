/**
 * Flow parameters: their definitions (from `@parameter` and the field defaults) and turning command-line
 * text into typed values, with clear errors before anything runs.
 *
 * @module
 */
import type { FlowInfo, ParameterOptions, ParameterType } from '../flow/index.js';
import { UsageError } from './errors.js';

/** A parameter as the CLI sees it. */
export interface ParameterDef {
  readonly name: string;
  readonly type: ParameterType;
  readonly default: unknown;
  readonly required: boolean;
  readonly help?: string;
}

function typeOf(options: ParameterOptions, fallback: unknown): ParameterType {
  const t = options.type;
  if (t === String || t === 'string') return 'string';
  if (t === Number || t === 'number') return 'number';
  if (t === Boolean || t === 'boolean') return 'boolean';
  if (t === JSON || t === 'json') return 'json';
  if (typeof fallback === 'number') return 'number';
  if (typeof fallback === 'boolean') return 'boolean';
  if (typeof fallback === 'object' && fallback !== null) return 'json';
  return 'string';
}

/**
 * The parameter definitions of a flow class, defaults read from a fresh instance's fields.
 *
 * @example
 * ```ts
 * parameterDefs(info, new FlowClass()); // [{ name: 'alpha', type: 'number', default: 0.01, required: false }]
 * ```
 */
export function parameterDefs(info: FlowInfo, instance: object): ParameterDef[] {
  return [...info.parameters.values()].map((p) => {
    const def = (instance as Record<string, unknown>)[p.name];
    return {
      name: p.name,
      type: typeOf(p.options, def),
      default: def,
      required: p.options.required === true,
      help: p.options.help,
    };
  });
}

/** `maxDepth` → `max-depth`. */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();
}

/**
 * Converts the text given for a parameter into its typed value.
 *
 * @example
 * ```ts
 * coerceParameter({ name: 'alpha', type: 'number', ... }, '0.2'); // 0.2
 * ```
 */
export function coerceParameter(def: ParameterDef, text: string, flowName: string): unknown {
  const bad = (expected: string) =>
    new UsageError(
      `Parameter --${kebabCase(def.name)} of ${flowName} must be ${expected}, got "${text}".` +
        (def.help ? ` (${def.help})` : ''),
      { option: def.name, flow: flowName },
    );
  switch (def.type) {
    case 'number': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw bad('a number');
      return n;
    }
    case 'boolean': {
      const t = text.toLowerCase();
      if (['true', '1', 'yes'].includes(t)) return true;
      if (['false', '0', 'no'].includes(t)) return false;
      throw bad('true or false');
    }
    case 'json':
      try {
        return JSON.parse(text);
      } catch {
        throw bad('valid JSON');
      }
    default:
      return text;
  }
}

/**
 * Resolves the final parameter values: given values over defaults; a required parameter with no value
 * is an error that names it.
 *
 * @example
 * ```ts
 * resolveParameters(defs, { alpha: 0.2 }, 'TrainFlow'); // { alpha: 0.2, epochs: 10 }
 * ```
 */
export function resolveParameters(
  defs: readonly ParameterDef[],
  given: Readonly<Record<string, unknown>>,
  flowName: string,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const def of defs) {
    const value = Object.hasOwn(given, def.name) ? given[def.name] : def.default;
    if (value === undefined && def.required) {
      throw new UsageError(
        `Parameter --${kebabCase(def.name)} of ${flowName} is required. Pass it: --${kebabCase(def.name)} VALUE.`,
        { option: def.name, flow: flowName },
      );
    }
    if (value !== undefined) values[def.name] = value;
  }
  return values;
}
