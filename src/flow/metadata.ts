/**
 * Class-level metadata recorded by the decorators (`@step`, `@parameter`, step decorators), read by the
 * runtime, the task runner and the CLI.
 *
 * Registries are keyed by global-registry symbols so that two copies of the framework (the CLI's and the one
 * inside a code package) agree on them.
 *
 * @module
 */

// Node 20 and 22 have no `Symbol.metadata`: install the registry symbol esbuild and tsc fall back to, before
// any decorated class is evaluated (this module is imported first by the package entry).
const symbolCtor = Symbol as unknown as { metadata?: symbol };
symbolCtor.metadata ??= Symbol.for('Symbol.metadata');

/** Key of the flow info in a class's decorator metadata. */
export const FLOW_INFO_KEY: unique symbol = Symbol.for('stepflow.flowInfo') as never;
/** Brand on FlowSpec subclasses, checked instead of `instanceof` across framework copies. */
export const FLOW_BRAND: unique symbol = Symbol.for('stepflow.flowSpec') as never;

/** A decorator applied to a step in source (or added with `--with`). */
export interface StepDecoratorUse {
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
  /** `static` when written in the flow, `cli` when added with `--with`. */
  readonly source: 'static' | 'cli';
}

/** What the class knows about one of its methods. */
export interface StepInfo {
  readonly name: string;
  isStep: boolean;
  /** Decorators other than `@step`, outermost first (as written top to bottom). */
  readonly decorators: StepDecoratorUse[];
}

/** The type a parameter's value is parsed as. */
export type ParameterType = 'string' | 'number' | 'boolean' | 'json';

/** Options of `@parameter`. */
export interface ParameterOptions {
  /** Help text shown by `stepflow run flow.ts --help`. */
  readonly help?: string;
  /** Fail before the run starts when no value is given and the field has no default. */
  readonly required?: boolean;
  /** The value's type; by default taken from the default value (object/array defaults mean JSON). */
  readonly type?: ParameterType | StringConstructor | NumberConstructor | BooleanConstructor | JSON;
}

/** A `@parameter` field. */
export interface ParameterInfo {
  readonly name: string;
  readonly options: ParameterOptions;
}

/** Everything the decorators recorded on one flow class. */
export interface FlowInfo {
  readonly steps: Map<string, StepInfo>;
  readonly parameters: Map<string, ParameterInfo>;
}

/**
 * Returns the class's own flow info from decorator metadata, creating it (with copies of a parent
 * class's entries) on first use. Never writes into a parent class's metadata.
 *
 * @example
 * ```ts
 * const info = ownFlowInfo(context.metadata);
 * info.steps.get('start');
 * ```
 */
export function ownFlowInfo(metadata: DecoratorMetadataObject): FlowInfo {
  if (Object.hasOwn(metadata, FLOW_INFO_KEY)) {
    return (metadata as Record<symbol, FlowInfo>)[FLOW_INFO_KEY];
  }
  const parent = (metadata as Record<symbol, FlowInfo | undefined>)[FLOW_INFO_KEY];
  const info: FlowInfo = {
    steps: new Map([...(parent?.steps ?? [])].map(([k, v]) => [k, { ...v, decorators: [...v.decorators] }])),
    parameters: new Map(parent?.parameters ?? []),
  };
  Object.defineProperty(metadata, FLOW_INFO_KEY, { value: info, enumerable: false });
  return info;
}

/**
 * Reads the flow info of a class (its own or inherited), or undefined when it has none.
 *
 * @example
 * ```ts
 * const info = readFlowInfo(MyFlow);
 * [...info!.steps.keys()]; // ['start', 'end']
 * ```
 */
export function readFlowInfo(cls: Function): FlowInfo | undefined {
  const metadataKey = (Symbol as unknown as { metadata: symbol }).metadata;
  const metadata = (cls as unknown as Record<symbol, DecoratorMetadataObject | undefined>)[metadataKey];
  if (!metadata) return undefined;
  return (metadata as Record<symbol, FlowInfo | undefined>)[FLOW_INFO_KEY];
}

/** Gets or creates the entry of one method. */
export function stepEntry(info: FlowInfo, name: string): StepInfo {
  let own = ownNames.get(info);
  if (!own) {
    own = new Set();
    ownNames.set(info, own);
  }
  let entry = info.steps.get(name);
  if (!entry || !own.has(name)) {
    // First decorator of this class on `name`: an override replaces what a parent class declared.
    entry = { name, isStep: false, decorators: [] };
    info.steps.set(name, entry);
    own.add(name);
  }
  return entry;
}

/** Method names decorated in the class that owns each FlowInfo (not inherited). */
const ownNames = new WeakMap<FlowInfo, Set<string>>();
