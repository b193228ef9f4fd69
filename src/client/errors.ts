/**
 * The client's error hierarchy. Every class sets `name`, carries structured readonly fields and
 * accepts a `cause`, so callers can branch on the class and print a useful message.
 *
 * @module
 */

import { brandErrorClass, StepflowError, type StepflowErrorOptions } from '../common/index.js';

/**
 * Base class of every error thrown by the client API (`Flow`, `Run`, `getByPathspec`, ...).
 *
 * @example
 * ```ts
 * try {
 *   await new Flow('TrainFlow').run('17');
 * } catch (err) {
 *   if (err instanceof ClientError) console.error(err.message);
 * }
 * ```
 */
export class ClientError extends StepflowError {
  static {
    brandErrorClass(ClientError, 'ClientError');
  }

  override readonly name: string = 'ClientError';

  constructor(message: string, options?: StepflowErrorOptions) {
    super(message, options);
  }
}

/**
 * What kind of object a pathspec names.
 *
 * @example
 * ```ts
 * const kind: ObjectKind = 'task';
 * ```
 */
export type ObjectKind = 'flow' | 'run' | 'step' | 'task' | 'artifact' | 'attempt';

/**
 * A flow, run, step, task, artifact or attempt does not exist. `nearby` lists what does exist at
 * that level (other runs of the flow, other steps of the run, ...), newest or first ones first.
 *
 * @example
 * ```ts
 * throw new NotFoundError({ kind: 'step', pathspec: 'TrainFlow/17/trian', nearby: ['start', 'train', 'end'], root: '/tmp/ds' });
 * ```
 */
export class NotFoundError extends ClientError {
  static {
    brandErrorClass(NotFoundError, 'NotFoundError');
  }

  override readonly name: string = 'NotFoundError';
  /** What was looked for. */
  readonly kind: ObjectKind;
  /** Its pathspec (`Flow/run/step/task[/artifact]`). */
  readonly pathspec: string;
  /** What exists at the same level (possibly cut short). */
  readonly nearby: readonly string[];
  /** The datastore root searched. */
  readonly root: string;

  constructor(fields: {
    readonly kind: ObjectKind;
    readonly pathspec: string;
    readonly nearby: readonly string[];
    readonly root: string;
    /** How to name the object in the message (default: `<Kind> <pathspec>`). */
    readonly label?: string;
    readonly detail?: string;
    readonly cause?: unknown;
  }) {
    const shown = fields.nearby.slice(0, 10);
    const more = fields.nearby.length > shown.length ? `, ... (${fields.nearby.length} in all)` : '';
    const plural = fields.kind === 'artifact' ? 'artifacts' : `${fields.kind}s`;
    const exists =
      fields.nearby.length === 0
        ? `There are no ${plural} there.`
        : `Existing ${plural}: ${shown.join(', ')}${more}.`;
    const what = fields.label ?? `${fields.kind[0].toUpperCase()}${fields.kind.slice(1)} ${fields.pathspec}`;
    const detail = fields.detail ? ` ${fields.detail}` : '';
    const hint =
      fields.kind === 'flow' || fields.kind === 'run'
        ? 'Check the name, or point the client at another datastore (setDatastore(), --datastore-root).'
        : undefined;
    super(
      `${what} does not exist in the datastore ${fields.root}.${detail} ${exists}${hint ? ` ${hint}` : ''}`,
      {
        cause: fields.cause,
        ...(hint ? { hint } : {}),
      },
    );
    this.kind = fields.kind;
    this.pathspec = fields.pathspec;
    this.nearby = fields.nearby;
    this.root = fields.root;
  }
}

/**
 * A run exists but is outside the current namespace (it lacks the namespace's tag), as in Metaflow.
 *
 * @example
 * ```ts
 * throw new NamespaceMismatchError({ pathspec: 'TrainFlow/17', namespace: 'user:bob', tags: ['user:alice'] });
 * ```
 */
export class NamespaceMismatchError extends ClientError {
  static {
    brandErrorClass(NamespaceMismatchError, 'NamespaceMismatchError');
  }

  override readonly name: string = 'NamespaceMismatchError';
  /** The object asked for. */
  readonly pathspec: string;
  /** The namespace in effect. */
  readonly namespace: string;
  /** The run's tags (one of them would have to equal the namespace). */
  readonly tags: readonly string[];

  constructor(fields: {
    readonly pathspec: string;
    readonly namespace: string;
    readonly tags: readonly string[];
    readonly cause?: unknown;
  }) {
    const owner = fields.tags.find((t) => t.startsWith('user:'));
    const hint = `Call namespace(null) to see runs of every namespace${owner ? `, or namespace('${owner}')` : ''}.`;
    super(
      `${fields.pathspec} is not in the namespace "${fields.namespace}" (its tags: ${fields.tags.join(', ') || 'none'}). ${hint}`,
      { cause: fields.cause, hint },
    );
    this.pathspec = fields.pathspec;
    this.namespace = fields.namespace;
    this.tags = fields.tags;
  }
}
