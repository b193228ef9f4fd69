/**
 * The artifact serializer registry. Each serializer has an `id` (recorded as the artifact's
 * `encoding`), a `priority` (lower is tried first), and says which values it can serialize. The
 * built-in ones are `typed-array` (priority 100, zero-copy for top-level typed arrays and Buffers)
 * and `v8` (priority 1000, the fallback: `node:v8`, which keeps what structured clone keeps).
 *
 * @module
 */

import { ArtifactSerializationError, UnknownEncodingError } from './errors.js';
import { typedArraySerializer } from './typed-array-serializer.js';
import { v8Serializer } from './v8-serializer.js';
import { describeType, previewValue } from './value-check.js';

/**
 * What a serializer is told about the value it serializes.
 *
 * @example
 * ```ts
 * serializer.serialize(value, { artifact: 'model' });
 * ```
 */
export interface SerializeContext {
  /** The artifact's name, for error messages (`Artifact "model" cannot be stored: ...`). */
  readonly artifact: string;
}

/**
 * Turns artifact values into bytes and back.
 *
 * @example
 * ```ts
 * const jsonSerializer: ArtifactSerializer = {
 *   id: 'json',
 *   priority: 500,
 *   canSerialize: (value) => value instanceof Point,
 *   serialize: (value) => Buffer.from(JSON.stringify(value)),
 *   deserialize: (bytes) => Object.assign(new Point(), JSON.parse(bytes.toString())),
 * };
 * registerSerializer(jsonSerializer);
 * ```
 */
export interface ArtifactSerializer {
  /** The encoding written into {@link ArtifactRef.encoding}; must stay stable forever. */
  readonly id: string;
  /** Lower values are tried first; the `v8` fallback has 1000. */
  readonly priority: number;
  /** True when this serializer handles `value`. */
  canSerialize(value: unknown): boolean;
  /**
   * The serialized bytes, as one buffer or as chunks to be concatenated (so large payloads need not
   * be copied). Throws {@link ArtifactSerializationError} for values it cannot store after all.
   */
  serialize(value: unknown, context: SerializeContext): Uint8Array | readonly Uint8Array[];
  /** Rebuilds the value from the bytes `serialize` produced. */
  deserialize(bytes: Buffer): unknown;
}

/**
 * An artifact turned into bytes, ready for the content-addressed store.
 *
 * @example
 * ```ts
 * const { chunks, size, encoding } = serializeArtifact('x', 1);
 * ```
 */
export interface SerializedArtifact {
  readonly chunks: readonly Uint8Array[];
  /** Total size of the chunks in bytes. */
  readonly size: number;
  readonly encoding: string;
  readonly type: string;
  readonly preview?: string;
}

const registry = new Map<string, ArtifactSerializer>();
let ordered: ArtifactSerializer[] = [];

/**
 * Registers a serializer (replacing any with the same id).
 *
 * @example
 * ```ts
 * registerSerializer({ id: 'point', priority: 200, canSerialize, serialize, deserialize });
 * ```
 */
export function registerSerializer(serializer: ArtifactSerializer): void {
  if (!/^[A-Za-z0-9][\w.+-]*$/.test(serializer.id)) {
    throw new TypeError(`Invalid serializer id "${serializer.id}": use letters, digits, ".", "_", "+", "-".`);
  }
  registry.set(serializer.id, serializer);
  ordered = [...registry.values()].sort((a, b) => a.priority - b.priority);
}

/**
 * Removes a serializer; returns false when none had that id.
 *
 * @example
 * ```ts
 * unregisterSerializer('point');
 * ```
 */
export function unregisterSerializer(id: string): boolean {
  const removed = registry.delete(id);
  ordered = [...registry.values()].sort((a, b) => a.priority - b.priority);
  return removed;
}

/**
 * The registered serializers, in the order they are tried.
 *
 * @example
 * ```ts
 * listSerializers().map((s) => s.id); // ['typed-array', 'v8']
 * ```
 */
export function listSerializers(): readonly ArtifactSerializer[] {
  return ordered;
}

/**
 * Serializes one artifact with the first serializer (by priority) that accepts it.
 *
 * @example
 * ```ts
 * const { chunks, encoding, type } = serializeArtifact('scores', new Float64Array(10));
 * // encoding 'typed-array', type 'Float64Array'
 * ```
 */
export function serializeArtifact(name: string, value: unknown): SerializedArtifact {
  const serializer = ordered.find((candidate) => candidate.canSerialize(value));
  if (!serializer) {
    throw new ArtifactSerializationError({ artifact: name, typeName: describeType(value), path: name });
  }
  const out = serializer.serialize(value, { artifact: name });
  const chunks: readonly Uint8Array[] = out instanceof Uint8Array ? [out] : out;
  let size = 0;
  for (const chunk of chunks) size += chunk.byteLength;
  const preview = previewValue(value);
  return {
    chunks,
    size,
    encoding: serializer.id,
    type: describeType(value),
    ...(preview === undefined ? {} : { preview }),
  };
}

/**
 * Rebuilds an artifact from its bytes with the serializer that wrote it.
 *
 * @example
 * ```ts
 * const value = deserializeArtifact(ref.encoding, bytes);
 * ```
 */
export function deserializeArtifact(encoding: string, bytes: Buffer): unknown {
  const serializer = registry.get(encoding);
  if (!serializer) throw new UnknownEncodingError(encoding, [...registry.keys()]);
  return serializer.deserialize(bytes);
}

registerSerializer(typedArraySerializer);
registerSerializer(v8Serializer);

export { v8Serializer };
