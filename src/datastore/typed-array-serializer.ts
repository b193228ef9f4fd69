/**
 * The `typed-array` serializer: a top-level typed array or Buffer stored as a 15-byte prefix and
 * its raw bytes. Serializing copies nothing; loading returns a view into the bytes read when they
 * are large and suitably aligned (the content store's 1-byte frame header plus this prefix put
 * the payload at offset 16), and copies otherwise.
 *
 * Layout: `"SFTA"` (4 bytes), version `1`, type code (index into {@link TYPED_ARRAY_TYPES}, or
 * 255 for Buffer), 9 zero bytes, then the elements in the machine's byte order (little-endian on
 * every platform Node supports in practice).
 *
 * @module
 */

import type { ArtifactSerializer } from './serializers.js';
import { TYPED_ARRAY_TYPES } from './value-check.js';

/**
 * Size of the prefix before the payload.
 *
 * @example
 * ```ts
 * const payload = body.subarray(TYPED_ARRAY_PREFIX_SIZE);
 * ```
 */
export const TYPED_ARRAY_PREFIX_SIZE = 15;
const MAGIC = [0x53, 0x46, 0x54, 0x41]; // "SFTA"
const VERSION = 1;
const BUFFER_CODE = 255;
/** Below this size a loaded array gets its own ArrayBuffer (a copy is cheap and less surprising). */
const ZERO_COPY_MIN_BYTES = 1024 * 1024;

type TypedArrayType = (typeof TYPED_ARRAY_TYPES)[number];

function typeCode(value: unknown): number {
  if (typeof value !== 'object' || value === null || !ArrayBuffer.isView(value)) return -1;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Buffer.prototype) return BUFFER_CODE;
  return TYPED_ARRAY_TYPES.findIndex((type) => type.prototype === proto);
}

/**
 * The built-in serializer of top-level typed arrays and Buffers (priority 100).
 *
 * @example
 * ```ts
 * const chunks = typedArraySerializer.serialize(new Float64Array([1, 2]), { artifact: 'x' });
 * ```
 */
export const typedArraySerializer: ArtifactSerializer = {
  id: 'typed-array',
  priority: 100,
  canSerialize: (value) => typeCode(value) >= 0,
  serialize(value) {
    const view = value as ArrayBufferView;
    const prefix = new Uint8Array(TYPED_ARRAY_PREFIX_SIZE);
    prefix.set(MAGIC, 0);
    prefix[4] = VERSION;
    prefix[5] = typeCode(value);
    return [prefix, new Uint8Array(view.buffer, view.byteOffset, view.byteLength)];
  },
  deserialize(bytes) {
    if (bytes.byteLength < TYPED_ARRAY_PREFIX_SIZE || MAGIC.some((b, i) => bytes[i] !== b)) {
      throw new Error('not a typed-array blob (bad magic)');
    }
    if (bytes[4] !== VERSION) throw new Error(`unsupported typed-array blob version ${bytes[4]}`);
    const code = bytes[5];
    const byteLength = bytes.byteLength - TYPED_ARRAY_PREFIX_SIZE;
    const offset = bytes.byteOffset + TYPED_ARRAY_PREFIX_SIZE;
    if (code === BUFFER_CODE) {
      return byteLength >= ZERO_COPY_MIN_BYTES
        ? Buffer.from(bytes.buffer, offset, byteLength)
        : Buffer.from(bytes.subarray(TYPED_ARRAY_PREFIX_SIZE));
    }
    const type: TypedArrayType | undefined = TYPED_ARRAY_TYPES[code];
    if (!type) throw new Error(`unknown typed-array type code ${code}`);
    const size = type.BYTES_PER_ELEMENT;
    if (byteLength % size !== 0) throw new Error(`${byteLength} bytes is not a whole number of ${type.name}`);
    if (byteLength >= ZERO_COPY_MIN_BYTES && offset % size === 0) {
      return new type(bytes.buffer as ArrayBuffer, offset, byteLength / size);
    }
    const copy = new type(byteLength / size);
    new Uint8Array(copy.buffer).set(bytes.subarray(TYPED_ARRAY_PREFIX_SIZE));
    return copy;
  },
};
