/**
 * Artifacts as fields of the flow instance: inherited artifacts are loaded lazily on first read, every
 * assignment is tracked, and at the end of the step {@link ArtifactState.collect} tells what must be stored.
 *
 * @module
 */
import type { ArtifactRef } from '../datastore/index.js';
import { RESERVED_NAMES, ReservedNameError } from '../flow/index.js';

/** Loads an artifact synchronously (the step reads fields synchronously). */
export type SyncLoader = (ref: ArtifactRef) => unknown;

/** The sha256 the value would be stored under (serialize + hash). */
export type Fingerprint = (name: string, value: unknown) => string;

/** Encodings whose output depends only on the value (v8's does not: array element kinds leak in). */
const DETERMINISTIC_ENCODINGS: ReadonlySet<string> = new Set(['typed-array']);

/** What {@link ArtifactState.collect} returns. */
export interface CollectedArtifacts {
  /** Values that must be serialized and stored. */
  readonly values: Record<string, unknown>;
  /** Artifacts kept as they are (inherited, merged or parameters). */
  readonly refs: Record<string, ArtifactRef>;
}

/** Options of {@link ArtifactState}. */
export interface ArtifactStateOptions {
  readonly flowName: string;
  readonly stepName: string;
  /** Artifacts of the (single) parent task; empty in a join. */
  readonly inherited: Readonly<Record<string, ArtifactRef>>;
  /** The run's parameters (read-only artifacts of every task). */
  readonly parameters: Readonly<Record<string, ArtifactRef>>;
  readonly load: SyncLoader;
  readonly fingerprint: Fingerprint;
}

/**
 * Tracks the artifacts of one task on its flow instance.
 *
 * @example
 * ```ts
 * const state = new ArtifactState(flow, { flowName, stepName, inherited, parameters, load });
 * state.install();
 * await runStep();
 * const { values, refs } = state.collect();
 * ```
 */
export class ArtifactState {
  private readonly values = new Map<string, unknown>();
  private readonly refs = new Map<string, ArtifactRef>();
  private readonly dirty = new Set<string>();
  private readonly accessed = new Set<string>();
  private readonly initial = new Map<string, unknown>();
  /** For objects read from a stored artifact: the fingerprint they had when loaded. */
  private readonly loadedFingerprint = new Map<string, string>();

  constructor(
    private readonly flow: object,
    private readonly options: ArtifactStateOptions,
  ) {
    for (const [name, ref] of Object.entries(options.inherited)) this.refs.set(name, ref);
    for (const [name, ref] of Object.entries(options.parameters)) this.refs.set(name, ref);
  }

  private reserved(name: string, why: string): ReservedNameError {
    const { flowName, stepName } = this.options;
    return new ReservedNameError(`Step ${flowName}.${stepName} assigned "${name}": ${why}`, {
      artifact: name,
      flow: flowName,
      step: stepName,
    });
  }

  /** Replaces the instance's own fields with tracked accessors. Call right after construction. */
  install(): void {
    const flow = this.flow as Record<string, unknown>;
    for (const name of Object.keys(flow)) {
      this.initial.set(name, flow[name]);
      delete flow[name];
    }
    const names = new Set([...this.refs.keys(), ...this.initial.keys()]);
    for (const name of names) {
      if (RESERVED_NAMES.has(name)) continue;
      Object.defineProperty(flow, name, {
        configurable: true,
        enumerable: true,
        get: () => this.read(name),
        set: (value: unknown) => this.write(name, value),
      });
    }
    const proto = Object.getPrototypeOf(flow) as object;
    for (const name of RESERVED_NAMES) {
      if (name === 'constructor') continue;
      Object.defineProperty(flow, name, {
        configurable: true,
        enumerable: false,
        get: () => Reflect.get(proto, name, flow),
        set: () => {
          throw this.reserved(name, 'this name is reserved by stepflow. Rename the artifact.');
        },
      });
    }
  }

  private read(name: string): unknown {
    if (this.values.has(name)) return this.values.get(name);
    let value: unknown;
    const ref = this.refs.get(name);
    if (ref) {
      value = this.options.load(ref);
      if (typeof value === 'object' && value !== null) {
        const deterministic = DETERMINISTIC_ENCODINGS.has(ref.encoding);
        this.loadedFingerprint.set(name, deterministic ? ref.sha : this.options.fingerprint(name, value));
      }
    } else value = this.initial.get(name);
    this.values.set(name, value);
    this.accessed.add(name);
    return value;
  }

  private write(name: string, value: unknown): void {
    if (Object.hasOwn(this.options.parameters, name)) {
      throw this.reserved(name, `"${name}" is a parameter, and parameters are read-only inside steps.`);
    }
    this.values.set(name, value);
    this.dirty.add(name);
  }

  /** True when the step set `name` itself (assignment or a new field). */
  isSetHere(name: string): boolean {
    return this.dirty.has(name) || Object.getOwnPropertyDescriptor(this.flow, name)?.value !== undefined;
  }

  /** Sets an artifact to an existing stored value (used by `mergeArtifacts`). */
  setRef(name: string, ref: ArtifactRef): void {
    if (!Object.getOwnPropertyDescriptor(this.flow, name)?.get) {
      Object.defineProperty(this.flow, name, {
        configurable: true,
        enumerable: true,
        get: () => this.read(name),
        set: (value: unknown) => this.write(name, value),
      });
    }
    this.refs.set(name, ref);
    this.values.delete(name);
    this.dirty.delete(name);
    this.accessed.delete(name);
  }

  /** Names of the artifacts the task currently has (inherited, merged, set). */
  names(): string[] {
    return [...new Set([...this.refs.keys(), ...this.dirty, ...this.ownDataNames()])];
  }

  private ownDataNames(): string[] {
    return Object.keys(this.flow).filter(
      (n) => 'value' in (Object.getOwnPropertyDescriptor(this.flow, n) ?? {}),
    );
  }

  /** What must be stored at the end of the step. */
  collect(): CollectedArtifacts {
    const values: Record<string, unknown> = {};
    const refs: Record<string, ArtifactRef> = {};
    for (const name of this.ownDataNames()) {
      if (RESERVED_NAMES.has(name))
        throw this.reserved(name, 'this name is reserved by stepflow. Rename it.');
      values[name] = (this.flow as Record<string, unknown>)[name];
    }
    for (const name of this.dirty) values[name] = this.values.get(name);
    for (const name of this.accessed) {
      if (name in values || Object.hasOwn(this.options.parameters, name)) continue;
      const v = this.values.get(name);
      // A read object may have been changed in place: store it again if its bytes changed.
      if (typeof v !== 'object' || v === null) continue;
      const before = this.loadedFingerprint.get(name);
      if (before === undefined || this.options.fingerprint(name, v) !== before) values[name] = v;
    }
    for (const [name, ref] of this.refs) if (!(name in values)) refs[name] = ref;
    return { values, refs };
  }
}
