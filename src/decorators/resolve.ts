/**
 * Resolving the decorators of every step: the ones written in the flow plus those added with `--with`,
 * options normalized (snake_case → camelCase) and validated by each plugin, then `stepInit` hooks.
 * Everything here runs before anything is stored or launched.
 *
 * @module
 */

import { didYouMean } from '../common/did-you-mean.js';
import type { StepDecoratorUse } from '../flow/index.js';
import type { FlowGraph } from '../graph/index.js';
import type { ResolvedDecorator } from './contract.js';
import { DecoratorError, DecoratorOptionError, UnknownDecoratorError } from './errors.js';
import { getStepDecorator, knownStepDecorators } from './registry.js';
import { StepHooks } from './step-hooks.js';

/** A decorator spec from `--with name:opt=value,...`. */
export interface WithSpec {
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/** `shared_memory` → `sharedMemory`. */
export function camelCase(name: string): string {
  return name.replace(/[_-]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === separator && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** Parses a `--with` value: JSON when it parses, else a number, else the string itself. */
export function parseOptionValue(text: string): unknown {
  const trimmed = text.trim();
  try {
    return JSON.parse(trimmed);
  } catch {
    const n = Number(trimmed);
    if (trimmed !== '' && Number.isFinite(n)) return n;
    return trimmed;
  }
}

/**
 * Parses `--with` specs such as `retry`, `retry:times=2`, `batch:cpu=4,shared_memory=1024`.
 *
 * @example
 * ```ts
 * parseWithSpec('batch:cpu=4,shared_memory=1024'); // { name: 'batch', options: { cpu: 4, shared_memory: 1024 } }
 * ```
 */
export function parseWithSpec(spec: string): WithSpec {
  const colon = spec.indexOf(':');
  const name = (colon < 0 ? spec : spec.slice(0, colon)).trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new DecoratorError(
      `--with "${spec}": "${name}" is not a decorator name. Write --with NAME or --with NAME:option=value,...`,
      { decorator: name },
    );
  }
  const options: Record<string, unknown> = {};
  if (colon >= 0 && spec.slice(colon + 1).trim() !== '') {
    for (const part of splitTopLevel(spec.slice(colon + 1), ',')) {
      const eq = part.indexOf('=');
      if (eq <= 0) {
        throw new DecoratorOptionError(
          `--with "${spec}": "${part}" is not option=value. Write --with ${name}:option=value,option2=value2`,
          { decorator: name },
        );
      }
      options[part.slice(0, eq).trim()] = parseOptionValue(part.slice(eq + 1));
    }
  }
  return { name: camelCaseName(name), options };
}

function camelCaseName(name: string): string {
  const known = knownStepDecorators();
  if (known.includes(name)) return name;
  const cc = camelCase(name);
  return known.includes(cc) ? cc : name;
}

function normalizeOptions(
  use: StepDecoratorUse | WithSpec,
  optionNames: readonly string[],
  where: { flowName: string; stepName: string },
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(use.options)) {
    const cc = camelCase(key);
    if (!optionNames.includes(cc)) {
      throw new DecoratorOptionError(
        `@${use.name} on step ${where.flowName}.${where.stepName}: unknown option "${key}".` +
          `${didYouMean(cc, optionNames)} Valid options: ${optionNames.join(', ') || '(none)'}.`,
        { decorator: use.name, option: key, flow: where.flowName, step: where.stepName },
      );
    }
    out[cc] = value;
  }
  return out;
}

/**
 * The error for a decorator nobody registered, naming the known ones.
 *
 * @example
 * ```ts
 * throw unknownDecorator('retyr', 'in --with', 'TrainFlow');
 * ```
 */
export function unknownDecorator(
  name: string,
  where: string,
  flowName: string,
  stepName?: string,
): UnknownDecoratorError {
  const known = knownStepDecorators();
  return new UnknownDecoratorError(
    `unknown decorator "${name}" ${where}.${didYouMean(name, known)} Known decorators: ${known.join(', ') || '(none)'}.`,
    { decorator: name, known, flow: flowName, step: stepName },
  );
}

/**
 * Resolves and validates the decorators of every step of a flow, then runs `stepInit` hooks.
 *
 * @example
 * ```ts
 * const byStep = resolveDecorators(graph, info.steps, [parseWithSpec('retry:times=2')]);
 * byStep.get('train'); // [{ name: 'retry', options: { times: 2, minutesBetweenRetries: 2 }, source: 'cli' }]
 * ```
 */
export function resolveDecorators(
  graph: FlowGraph,
  staticUses: ReadonlyMap<string, readonly StepDecoratorUse[]>,
  withSpecs: readonly WithSpec[],
): Map<string, ResolvedDecorator[]> {
  const flowName = graph.flowName;
  for (const spec of withSpecs) {
    if (!getStepDecorator(spec.name)) throw unknownDecorator(spec.name, 'in --with', flowName);
  }
  const result = new Map<string, ResolvedDecorator[]>();
  for (const stepName of graph.order) {
    const where = { flowName, stepName };
    const uses = usesOfStep(staticUses.get(stepName) ?? [], withSpecs);
    const resolved: ResolvedDecorator[] = [];
    for (const use of uses) resolved.push(resolveUse(use, resolved, where));
    result.set(stepName, resolved);
  }
  for (const stepName of graph.order) initStep(graph, stepName, result.get(stepName) ?? []);
  return result;
}

/** A decorator use as written on a step (`static`) or added with `--with` (`cli`). */
export type DecoratorUseOnStep = StepDecoratorUse | (WithSpec & { readonly source: 'cli' });

/**
 * The decorators a step gets: its own, then each `--with` decorator it does not already have.
 *
 * @example
 * ```ts
 * usesOfStep(info.steps.get('train')?.decorators ?? [], [parseWithSpec('retry')]);
 * ```
 */
export function usesOfStep(
  own: readonly StepDecoratorUse[],
  withSpecs: readonly WithSpec[],
): DecoratorUseOnStep[] {
  const uses: DecoratorUseOnStep[] = [...own];
  for (const spec of withSpecs) {
    if (!uses.some((u) => u.name === spec.name)) uses.push({ ...spec, source: 'cli' });
  }
  return uses;
}

/**
 * Resolves one decorator use of a step: finds its plugin, normalizes and validates its options. Throws a
 * `DecoratorError` (unknown decorator, used twice, a bad option) with the message `run` prints.
 *
 * @example
 * ```ts
 * resolveUse({ name: 'retry', options: { times: 2 }, source: 'static' }, [], { flowName: 'F', stepName: 's' });
 * ```
 */
export function resolveUse(
  use: DecoratorUseOnStep,
  earlier: readonly ResolvedDecorator[],
  where: { readonly flowName: string; readonly stepName: string },
): ResolvedDecorator {
  const { flowName, stepName } = where;
  const plugin = getStepDecorator(use.name);
  if (!plugin) throw unknownDecorator(use.name, `on step ${flowName}.${stepName}`, flowName, stepName);
  if (!plugin.allowMultiple && earlier.some((r) => r.name === use.name)) {
    throw new DecoratorError(
      `@${use.name} appears twice on step ${flowName}.${stepName}; it may be used once per step. Remove one.`,
      { decorator: use.name, flow: flowName, step: stepName },
    );
  }
  const options = plugin.parseOptions(
    normalizeOptions(use, plugin.optionNames, { flowName, stepName }),
    where,
  );
  return { name: use.name, options: options as Record<string, unknown>, source: use.source };
}

/**
 * Runs the `stepInit` hooks of a step's resolved decorators (static checks that involve several
 * decorators or settings, e.g. `@batch` with `@resources`); they throw a `DecoratorError` to refuse it.
 *
 * @example
 * ```ts
 * initStep(graph, 'train', resolved);
 * ```
 */
export function initStep(graph: FlowGraph, stepName: string, decorators: readonly ResolvedDecorator[]): void {
  new StepHooks(decorators).stepInit({ flowName: graph.flowName, stepName, graph });
}
