/**
 * The `inputs` of a join step: read-only views of the incoming tasks' artifacts, loaded lazily.
 *
 * @module
 */
import type { ArtifactRef } from '../datastore/index.js';
import type { SyncLoader } from './artifact-state.js';

const viewRefs = new WeakMap<object, Readonly<Record<string, ArtifactRef>>>();

/** One input of a join: the pathspec of the task it came from and its artifacts. */
export interface JoinInput {
  /** The step that led into the join. */
  readonly step: string;
  readonly taskId: string;
  readonly refs: Readonly<Record<string, ArtifactRef>>;
}

function makeView(input: JoinInput, load: SyncLoader): object {
  const view: Record<string, unknown> = {};
  const cache = new Map<string, unknown>();
  for (const [name, ref] of Object.entries(input.refs)) {
    Object.defineProperty(view, name, {
      enumerable: true,
      get: () => {
        if (!cache.has(name)) cache.set(name, load(ref));
        return cache.get(name);
      },
    });
  }
  Object.defineProperty(view, Symbol.toStringTag, { value: `Input(${input.step}/${input.taskId})` });
  viewRefs.set(view, input.refs);
  return Object.freeze(view);
}

/**
 * Builds the `inputs` argument of a join: an array in the split's order, also keyed by step name.
 *
 * @example
 * ```ts
 * const inputs = makeInputs(joinInputs, load, true);
 * inputs.length; inputs[0].score; inputs.a.score;
 * ```
 */
export function makeInputs(
  inputs: readonly JoinInput[],
  load: SyncLoader,
  keyByStep: boolean,
): readonly object[] {
  const views = inputs.map((i) => makeView(i, load));
  if (keyByStep) {
    inputs.forEach((input, i) => {
      // Array members (`length`, `map`, ...) win over a step of the same name.
      if (!(input.step in views)) {
        Object.defineProperty(views, input.step, { value: views[i], enumerable: false });
      }
    });
  }
  return Object.freeze(views);
}

/**
 * The artifact refs behind an input view (for `mergeArtifacts`), or undefined for other objects.
 *
 * @example
 * ```ts
 * const refs = refsOfInput(inputs[0]);
 * ```
 */
export function refsOfInput(view: unknown): Readonly<Record<string, ArtifactRef>> | undefined {
  return typeof view === 'object' && view !== null ? viewRefs.get(view) : undefined;
}
