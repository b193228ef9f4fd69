/**
 * The `inputs` of a join step: read-only views of the incoming tasks' artifacts, loaded lazily. With a
 * remote datastore, reading an artifact of one input reads the same artifact of the next inputs with it,
 * in one batch of parallel reads ({@link ReadAhead}): a join over 10,000 inputs that reads `score` of each
 * pays about 10,000 / 64 round trips, not 10,000, and artifacts it never touches are never read.
 *
 * @module
 */
import type { ArtifactRef } from '../datastore/index.js';
import type { SyncLoader } from './artifact-state.js';

/**
 * Loads the blobs of artifacts in one blocking batch of parallel reads, so that the loader then finds them
 * in memory; false when the datastore reads synchronously anyway (local).
 *
 * @example
 * ```ts
 * const prefetch: SyncPrefetch = (refs) => fds.prefetchArtifactsSync(refs);
 * ```
 */
export type SyncPrefetch = (refs: readonly ArtifactRef[]) => boolean;

/**
 * How many inputs the first read of an artifact reads it for (the one touched and the next ones); each
 * further batch of the same artifact doubles, up to {@link READ_AHEAD_MAX}.
 *
 * @example
 * ```ts
 * inputs[0].score; // reads `score` of inputs 0..63 in one batch
 * ```
 */
export const READ_AHEAD_FIRST = 64;

/**
 * The most inputs one batch reads an artifact of.
 *
 * @example
 * ```ts
 * Math.min(window * 2, READ_AHEAD_MAX);
 * ```
 */
export const READ_AHEAD_MAX = 1024;

/**
 * Per artifact name, which inputs' copies were read ahead, and the next batch's size.
 *
 * @example
 * ```ts
 * const ahead = new ReadAhead(inputs, prefetch);
 * ahead.touch('score', 0); // prefetches `score` of inputs 0..63
 * ```
 */
export class ReadAhead {
  private readonly read = new Map<string, { fetched: Uint8Array; window: number }>();
  private enabled = true;

  constructor(
    private readonly inputs: readonly JoinInput[],
    private readonly prefetch: SyncPrefetch,
  ) {}

  /** Input `index`'s artifact `name` is about to be loaded: read it and the next ones' in one batch. */
  touch(name: string, index: number): void {
    if (!this.enabled) return;
    let state = this.read.get(name);
    if (!state) {
      state = { fetched: new Uint8Array(this.inputs.length), window: READ_AHEAD_FIRST };
      this.read.set(name, state);
    }
    if (state.fetched[index]) return;
    const refs: ArtifactRef[] = [];
    for (let j = index; j < this.inputs.length && j < index + state.window && !state.fetched[j]; j++) {
      state.fetched[j] = 1;
      const ref = this.inputs[j].refs[name];
      if (ref) refs.push(ref);
    }
    state.window = Math.min(READ_AHEAD_MAX, state.window * 2);
    if (refs.length > 1) this.enabled = this.prefetch(refs);
  }
}

const viewRefs = new WeakMap<object, Readonly<Record<string, ArtifactRef>>>();

/** One input of a join: the pathspec of the task it came from and its artifacts. */
export interface JoinInput {
  /** The step that led into the join. */
  readonly step: string;
  readonly taskId: string;
  readonly refs: Readonly<Record<string, ArtifactRef>>;
}

function makeView(input: JoinInput, load: SyncLoader, index: number, ahead?: ReadAhead): object {
  const view: Record<string, unknown> = {};
  const cache = new Map<string, unknown>();
  for (const [name, ref] of Object.entries(input.refs)) {
    Object.defineProperty(view, name, {
      enumerable: true,
      get: () => {
        if (!cache.has(name)) {
          ahead?.touch(name, index);
          cache.set(name, load(ref));
        }
        return cache.get(name);
      },
    });
  }
  Object.defineProperty(view, Symbol.toStringTag, { value: `Input(${input.step}/${input.taskId})` });
  viewRefs.set(view, input.refs);
  return Object.freeze(view);
}

/**
 * Builds the `inputs` argument of a join: an array in the split's order, also keyed by step name. With
 * `prefetch` (a remote datastore), an artifact is read ahead for the next inputs when one is touched.
 *
 * @example
 * ```ts
 * const inputs = makeInputs(joinInputs, load, true, (refs) => fds.prefetchArtifactsSync(refs));
 * inputs.length; inputs[0].score; inputs.a.score;
 * ```
 */
export function makeInputs(
  inputs: readonly JoinInput[],
  load: SyncLoader,
  keyByStep: boolean,
  prefetch?: SyncPrefetch,
): readonly object[] {
  const ahead = prefetch && inputs.length > 1 ? new ReadAhead(inputs, prefetch) : undefined;
  const views = inputs.map((input, index) => makeView(input, load, index, ahead));
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
