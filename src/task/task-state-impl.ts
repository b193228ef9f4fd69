/**
 * The {@link TaskState} of a running task: records `next`, serves `input`/`index`, merges join artifacts.
 *
 * @module
 */
import type { ArtifactRef, ForeachFrame } from '../datastore/index.js';
import type { ForeachPosition, MergeOptions, NextOptions, TaskState } from '../flow/index.js';
import { MergeConflictError, RESERVED_NAMES, TransitionError } from '../flow/index.js';
import type { ArtifactState } from './artifact-state.js';
import { refsOfInput } from './inputs.js';

/** What the task recorded from `this.next(...)`. */
export interface RecordedNext {
  readonly targets: string[];
  readonly foreach?: string;
}

/** Options of {@link RunningTaskState}. */
export interface RunningTaskStateOptions {
  readonly flowName: string;
  readonly stepName: string;
  readonly isJoin: boolean;
  readonly foreachStack: readonly ForeachFrame[];
  /** Loads the item of the innermost foreach (lazily, on first `this.input`). */
  readonly loadInput: () => unknown;
  /** Step name of each step method, by function. */
  readonly stepNames: ReadonlyMap<unknown, string>;
  readonly artifacts: ArtifactState;
  readonly parameters: Readonly<Record<string, ArtifactRef>>;
}

/**
 * The task side of the flow instance's API.
 *
 * @example
 * ```ts
 * const state = new RunningTaskState({ ... });
 * bindTaskState(flow, state);
 * ```
 */
export class RunningTaskState implements TaskState {
  readonly flowName: string;
  readonly stepName: string;
  recorded?: RecordedNext;
  private inputLoaded = false;
  private inputValue: unknown;

  constructor(private readonly options: RunningTaskStateOptions) {
    this.flowName = options.flowName;
    this.stepName = options.stepName;
  }

  private where(): string {
    return `${this.flowName}.${this.stepName}`;
  }

  recordNext(targets: readonly unknown[], options: NextOptions | undefined): void {
    if (this.recorded) {
      throw new TransitionError(
        `Step ${this.where()} called this.next() twice. Call it exactly once, as the last statement of the step.`,
        { flow: this.flowName, step: this.stepName },
      );
    }
    const names = targets.map((t, i) => {
      const name = this.options.stepNames.get(t);
      if (!name) {
        throw new TransitionError(
          `Step ${this.where()}: argument ${i + 1} of this.next() is not a step of the flow. Pass step ` +
            'methods like this.next(this.train), and mark them with @step.',
          { flow: this.flowName, step: this.stepName },
        );
      }
      return name;
    });
    if (names.length === 0) {
      throw new TransitionError(`Step ${this.where()} called this.next() with no step. Name the next step.`, {
        flow: this.flowName,
        step: this.stepName,
      });
    }
    this.recorded = { targets: names, foreach: options?.foreach };
  }

  input(): unknown {
    if (this.options.foreachStack.length === 0) return undefined;
    if (!this.inputLoaded) {
      this.inputValue = this.options.loadInput();
      this.inputLoaded = true;
    }
    return this.inputValue;
  }

  index(): number | undefined {
    return this.options.foreachStack.at(-1)?.index;
  }

  foreachStack(): readonly ForeachPosition[] {
    return this.options.foreachStack.map(({ step, field, index, count }) => ({ step, field, index, count }));
  }

  mergeArtifacts(inputs: unknown, options: MergeOptions | undefined): void {
    const { flowName, stepName } = this;
    if (!this.options.isJoin) {
      throw new TransitionError(
        `Step ${this.where()} called mergeArtifacts(), which only works in a join step (one taking inputs).`,
        { flow: flowName, step: stepName },
      );
    }
    const list = Array.isArray(inputs) ? inputs : [];
    const refsList = list.map((i) => refsOfInput(i));
    if (refsList.length === 0 || refsList.some((r) => r === undefined)) {
      throw new TransitionError(
        `Step ${this.where()}: mergeArtifacts() takes the join's inputs argument (this.mergeArtifacts(inputs)).`,
        { flow: flowName, step: stepName },
      );
    }
    const all = refsList as Readonly<Record<string, ArtifactRef>>[];
    const available = new Set(all.flatMap((r) => Object.keys(r)));
    if (options?.include) {
      const missing = options.include.filter((n) => !available.has(n));
      if (missing.length > 0) {
        throw new MergeConflictError(
          `Step ${this.where()}: mergeArtifacts include names artifacts no input has: ${missing.join(', ')}.`,
          { artifacts: missing, flow: flowName, step: stepName },
        );
      }
    }
    const wanted = options?.include ? new Set(options.include) : available;
    const exclude = new Set(options?.exclude ?? []);
    const chosen = new Map<string, ArtifactRef>();
    const conflicts: string[] = [];
    for (const name of wanted) {
      if (exclude.has(name) || RESERVED_NAMES.has(name) || name.startsWith('_')) continue;
      if (Object.hasOwn(this.options.parameters, name) || this.options.artifacts.isSetHere(name)) continue;
      const refs = all.map((r) => r[name]).filter((r): r is ArtifactRef => r !== undefined);
      if (new Set(refs.map((r) => r.sha)).size > 1) conflicts.push(name);
      else chosen.set(name, refs[0]);
    }
    if (conflicts.length > 0) {
      conflicts.sort();
      throw new MergeConflictError(
        `Step ${this.where()}: mergeArtifacts() found artifacts whose values differ between inputs: ` +
          `${conflicts.join(', ')}. Set them in the join before merging, or pass { exclude: [${conflicts
            .map((c) => `'${c}'`)
            .join(', ')}] }.`,
        { artifacts: conflicts, flow: flowName, step: stepName },
      );
    }
    for (const [name, ref] of chosen) this.options.artifacts.setRef(name, ref);
  }
}
