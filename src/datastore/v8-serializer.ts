/**
 * The `v8` serializer: `node:v8` (structured-clone semantics) with two additions: values v8 would
 * mangle are refused up front, and large typed arrays inside a value are passed through as separate
 * chunks instead of being copied into v8's growing buffer. The chunks concatenate to exactly the
 * bytes `v8.serialize` produces (checked once at start-up; chunking is off if that check fails).
 *
 * @module
 */

import v8 from 'node:v8';
import { ArtifactSerializationError } from './errors.js';
import type { ArtifactSerializer } from './serializers.js';
import { describeType, findUnstorable } from './value-check.js';

/** Views at least this large are written as their own chunk. */
const CHUNK_MIN_BYTES = 64 * 1024;
/** v8's tag for a host object (Node writes ArrayBufferViews as host objects). */
const HOST_OBJECT_TAG = 0x5c;

const hostTypeIndexes = new Map<object, number | null>();

/**
 * Node's host-object type index of a view's class, read from how Node serializes an empty view of
 * the same class; null when the bytes do not have the expected shape.
 */
function hostTypeIndex(view: ArrayBufferView): number | null {
  const proto = Object.getPrototypeOf(view) as object;
  let index = hostTypeIndexes.get(proto);
  if (index === undefined) {
    const probe = emptyLike(view);
    const bytes = probe ? v8.serialize(probe) : undefined;
    const ok = bytes?.length === 5 && bytes[0] === 0xff && bytes[2] === HOST_OBJECT_TAG && bytes[4] === 0;
    index = ok && bytes && bytes[3] < 0x80 ? bytes[3] : null;
    hostTypeIndexes.set(proto, index);
  }
  return index;
}

function emptyLike(view: ArrayBufferView): ArrayBufferView | undefined {
  if (Buffer.isBuffer(view)) return Buffer.alloc(0);
  if (view instanceof DataView) return new DataView(new ArrayBuffer(0));
  const ctor = view.constructor as new (length: number) => ArrayBufferView;
  try {
    return new ctor(0);
  } catch {
    return undefined;
  }
}

/** Node's own host-object writer (documented, but missing from @types/node). */
const writeHostObject = (
  v8.DefaultSerializer.prototype as unknown as { _writeHostObject(view: ArrayBufferView): void }
)._writeHostObject;

/** A Node `DefaultSerializer` that hands large views out as chunks instead of copying them. */
class ChunkingSerializer extends v8.DefaultSerializer {
  readonly chunks: Uint8Array[] = [];

  /** Called by v8 for every ArrayBufferView (Node serializes them as host objects). */
  _writeHostObject(view: ArrayBufferView): void {
    const index = view.byteLength >= CHUNK_MIN_BYTES ? hostTypeIndex(view) : null;
    if (index === null) {
      writeHostObject.call(this, view);
      return;
    }
    this.writeUint32(index);
    this.writeUint32(view.byteLength);
    this.chunks.push(this.releaseBuffer(), new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  }
}

function serializeChunked(value: unknown): Uint8Array[] {
  const serializer = new ChunkingSerializer();
  serializer.writeHeader();
  serializer.writeValue(value);
  serializer.chunks.push(serializer.releaseBuffer());
  return serializer.chunks;
}

/** Whether chunked output matches `v8.serialize` byte for byte on this Node version. */
const chunkingWorks: boolean = (() => {
  try {
    const big = new Float64Array(CHUNK_MIN_BYTES / 8).map((_, i) => i);
    const sample = { a: [big, 'x'], b: new Map([['k', Buffer.alloc(CHUNK_MIN_BYTES, 1)]]), c: big, d: 1 };
    const chunks = serializeChunked(sample);
    return chunks.length > 1 && Buffer.concat(chunks).equals(v8.serialize(sample));
  } catch {
    return false;
  }
})();

/**
 * The default serializer: `node:v8`. Before serializing it refuses what v8 would throw on or
 * silently turn into a plain object (functions, symbols, class instances, WeakMap, ...), naming
 * the path of the offending value.
 *
 * @example
 * ```ts
 * const chunks = v8Serializer.serialize(new Map([[1, 'a']]), { artifact: 'm' });
 * ```
 */
export const v8Serializer: ArtifactSerializer = {
  id: 'v8',
  priority: 1000,
  canSerialize: () => true,
  serialize(value, context) {
    const bad = findUnstorable(value, context.artifact);
    if (bad) throw new ArtifactSerializationError({ artifact: context.artifact, ...bad });
    try {
      return chunkingWorks ? serializeChunked(value) : v8.serialize(value);
    } catch (err) {
      throw new ArtifactSerializationError({
        artifact: context.artifact,
        typeName: describeType(value),
        path: context.artifact,
        reason:
          `Artifact "${context.artifact}" cannot be stored: v8 serialization failed ` +
          `(${err instanceof Error ? err.message : String(err)}). Store plain data or register a serializer.`,
        cause: err,
      });
    }
  },
  deserialize: (bytes) => v8.deserialize(bytes),
};

/**
 * True when the `v8` serializer passes large typed arrays through as chunks on this Node version.
 *
 * @example
 * ```ts
 * if (!v8ChunkingEnabled()) console.warn('large nested typed arrays will be copied while saving');
 * ```
 */
export function v8ChunkingEnabled(): boolean {
  return chunkingWorks;
}
