/**
 * The datastore's error hierarchy. Every class sets `name`, carries structured readonly fields and
 * accepts a `cause`, so callers can branch on the class and print a useful message.
 *
 * @module
 */

import {
  brandErrorClass,
  type ErrorDisplay,
  StepflowError,
  type StepflowErrorOptions,
} from '../common/index.js';

/**
 * Base class of every error thrown by the datastore layer.
 *
 * @example
 * ```ts
 * try {
 *   await datastore.loadArtifact(ref);
 * } catch (err) {
 *   if (err instanceof DatastoreError) console.error(err.message);
 * }
 * ```
 */
export class DatastoreError extends StepflowError {
  static {
    brandErrorClass(DatastoreError, 'DatastoreError');
  }

  override readonly name: string = 'DatastoreError';

  constructor(message: string, options?: StepflowErrorOptions) {
    super(message, options);
  }
}

/**
 * A storage backend failed to read, write, list or delete a key (other than "not found").
 *
 * @example
 * ```ts
 * throw new StorageError('write', 'MyFlow/1/_meta/run.json', '/tmp/.stepflow', { cause: err });
 * ```
 */
export class StorageError extends DatastoreError {
  static {
    brandErrorClass(StorageError, 'StorageError');
  }

  override readonly name: string = 'StorageError';
  /** What was attempted: `read`, `write`, `list`, `delete`, `open`, `key`. */
  readonly operation: string;
  /** The key (relative to the backend root) involved. */
  readonly key: string;
  /** The backend root. */
  readonly root: string;

  constructor(
    operation: string,
    key: string,
    root: string,
    options?: { readonly cause?: unknown; readonly detail?: string },
  ) {
    const detail = options?.detail ?? causeText(options?.cause);
    const hint =
      operation === 'key'
        ? 'This is a bug in the caller: keys are "/"-separated relative paths.'
        : 'Check that the datastore root exists, is writable and has free space.';
    super(`Storage ${operation} failed for key "${key}" under ${root}: ${detail}. ${hint}`, {
      ...(options !== undefined && 'cause' in options ? { cause: options.cause } : {}),
      hint,
    });
    this.operation = operation;
    this.key = key;
    this.root = root;
  }
}

/**
 * An artifact value cannot be serialized by any registered serializer.
 *
 * @example
 * ```ts
 * throw new ArtifactSerializationError({ artifact: 'model', typeName: 'Layer', path: 'model.layers[0]' });
 * ```
 */
export class ArtifactSerializationError extends DatastoreError {
  static {
    brandErrorClass(ArtifactSerializationError, 'ArtifactSerializationError');
  }

  /** Printed by the CLI with its stack trace. */
  override get display(): ErrorDisplay {
    return 'stack';
  }

  override readonly name: string = 'ArtifactSerializationError';
  /** The artifact's name. */
  readonly artifact: string;
  /** The offending value's type: a class name such as `Layer`, or `function`, `symbol`, `WeakMap`. */
  readonly typeName: string;
  /** Where in the artifact the value sits, such as `model.layers[0]`. */
  readonly path: string;

  constructor(fields: {
    readonly artifact: string;
    readonly typeName: string;
    readonly path: string;
    readonly reason?: string;
    readonly cause?: unknown;
  }) {
    super(fields.reason ?? refusalMessage(fields.artifact, fields.typeName, fields.path), {
      cause: fields.cause,
    });
    this.artifact = fields.artifact;
    this.typeName = fields.typeName;
    this.path = fields.path;
  }
}

/**
 * A blob or record that should exist in the datastore is missing.
 *
 * @example
 * ```ts
 * throw new ArtifactNotFoundError('MyFlow', 'ab12…', 'MyFlow/data/ab/ab12…');
 * ```
 */
export class ArtifactNotFoundError extends DatastoreError {
  static {
    brandErrorClass(ArtifactNotFoundError, 'ArtifactNotFoundError');
  }

  /** Printed by the CLI with its stack trace. */
  override get display(): ErrorDisplay {
    return 'stack';
  }

  override readonly name: string = 'ArtifactNotFoundError';
  readonly flow: string;
  readonly sha: string;
  readonly key: string;

  constructor(flow: string, sha: string, key: string, options?: { readonly cause?: unknown }) {
    super(
      `Blob ${sha} of flow ${flow} is missing from the datastore (key "${key}"). ` +
        'The datastore root may differ from the one the run used, or the blob was deleted.',
      options,
    );
    this.flow = flow;
    this.sha = sha;
    this.key = key;
  }
}

/**
 * A stored blob or record cannot be decoded, or its bytes do not match their sha256.
 *
 * @example
 * ```ts
 * throw new CorruptBlobError('MyFlow/data/ab/ab12…', 'unknown header byte 0x07');
 * ```
 */
export class CorruptBlobError extends DatastoreError {
  static {
    brandErrorClass(CorruptBlobError, 'CorruptBlobError');
  }

  /** Printed by the CLI with its stack trace. */
  override get display(): ErrorDisplay {
    return 'stack';
  }

  override readonly name: string = 'CorruptBlobError';
  readonly key: string;
  readonly reason: string;

  constructor(key: string, reason: string, options?: { readonly cause?: unknown }) {
    const hint = 'Delete it and re-run the step that wrote it.';
    super(`Stored object "${key}" is corrupt: ${reason}. ${hint}`, { ...options, hint });
    this.key = key;
    this.reason = reason;
  }
}

/**
 * An artifact was written with an encoding no registered serializer handles.
 *
 * @example
 * ```ts
 * throw new UnknownEncodingError('msgpack', ['v8', 'typed-array']);
 * ```
 */
export class UnknownEncodingError extends DatastoreError {
  static {
    brandErrorClass(UnknownEncodingError, 'UnknownEncodingError');
  }

  /** Printed by the CLI with its stack trace. */
  override get display(): ErrorDisplay {
    return 'stack';
  }

  override readonly name: string = 'UnknownEncodingError';
  readonly encoding: string;

  constructor(encoding: string, known: readonly string[]) {
    const hint = 'Register it with registerSerializer() before loading this artifact.';
    super(`No serializer is registered for encoding "${encoding}" (known: ${known.join(', ')}). ${hint}`, {
      hint,
    });
    this.encoding = encoding;
  }
}

/**
 * A name used to build a datastore key (flow, run id, step, task id) or a backend spec is invalid.
 *
 * @example
 * ```ts
 * throw new InvalidKeyError('run id', '../x', 'must not contain "/"');
 * ```
 */
export class InvalidKeyError extends DatastoreError {
  static {
    brandErrorClass(InvalidKeyError, 'InvalidKeyError');
  }

  override readonly name: string = 'InvalidKeyError';
  readonly what: string;
  readonly value: string;

  constructor(what: string, value: string, reason: string) {
    super(`Invalid ${what} "${value}": ${reason}.`);
    this.what = what;
    this.value = value;
  }
}

function refusalMessage(artifact: string, typeName: string, path: string): string {
  const what =
    typeName === 'function' || typeName === 'symbol'
      ? `a ${typeName}`
      : /^(WeakMap|WeakSet|WeakRef|Promise|SharedArrayBuffer)$/.test(typeName)
        ? `a ${typeName}`
        : `an instance of class ${typeName}`;
  const fix =
    typeName === 'function' || typeName === 'symbol'
      ? 'Store plain data (objects, arrays, Map, typed arrays) instead.'
      : `Store plain data (objects, arrays, Map, typed arrays) or register a serializer for ${typeName} ` +
        'with registerSerializer().';
  return `Artifact "${artifact}" cannot be stored: ${path} is ${what}, which has no serializer. ${fix}`;
}

function causeText(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code ? `${code}: ${cause.message}` : cause.message;
  }
  return cause === undefined ? 'unknown error' : String(cause);
}
