import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import { ArtifactSerializationError, UnknownEncodingError } from './errors.js';
import {
  type ArtifactSerializer,
  deserializeArtifact,
  listSerializers,
  registerSerializer,
  serializeArtifact,
  unregisterSerializer,
} from './serializers.js';
import { TYPED_ARRAY_PREFIX_SIZE } from './typed-array-serializer.js';
import { v8ChunkingEnabled } from './v8-serializer.js';
import { describeType, previewValue, TYPED_ARRAY_TYPES } from './value-check.js';

/** Serializes and deserializes as the datastore does (chunks joined, behind a 1-byte frame header). */
function roundTrip(value: unknown, name = 'x'): { value: unknown; encoding: string; type: string } {
  const out = serializeArtifact(name, value);
  const framed = Buffer.concat([Uint8Array.of(0), ...out.chunks]);
  assert.equal(out.size, framed.byteLength - 1);
  return {
    value: deserializeArtifact(out.encoding, framed.subarray(1)),
    encoding: out.encoding,
    type: out.type,
  };
}

function refusal(value: unknown, name = 'x'): ArtifactSerializationError {
  try {
    serializeArtifact(name, value);
  } catch (err) {
    assert.ok(err instanceof ArtifactSerializationError, String(err));
    return err;
  }
  assert.fail('expected a refusal');
}

describe('serializers', () => {
  it('v8 round trips keep Map, Set, Date, RegExp, BigInt, undefined, NaN, -0, Errors, Buffers', () => {
    const value = {
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, new Set([1, 'b'])],
      ]),
      date: new Date(1700000000000),
      re: /ab+c/gi,
      big: 12345678901234567890n,
      nothing: undefined,
      nan: Number.NaN,
      negZero: -0,
      err: new RangeError('boom'),
      buf: Buffer.from('hi'),
      nested: { floats: new Float32Array([1.5, 2.5]) },
      bare: Object.assign(Object.create(null) as object, { k: 1 }),
    };
    const { value: back, encoding, type } = roundTrip(value);
    assert.equal(encoding, 'v8');
    assert.equal(type, 'object');
    const v = back as typeof value;
    assert.deepEqual(v.map, value.map);
    assert.equal(v.date.getTime(), value.date.getTime());
    assert.equal(v.re.source, 'ab+c');
    assert.equal(v.re.flags, 'gi');
    assert.equal(v.big, value.big);
    assert.ok('nothing' in v && v.nothing === undefined);
    assert.ok(Number.isNaN(v.nan));
    assert.ok(Object.is(v.negZero, -0));
    assert.ok(v.err instanceof RangeError);
    assert.equal(v.err.message, 'boom');
    assert.ok(Buffer.isBuffer(v.buf));
    assert.equal(v.buf.toString(), 'hi');
    assert.ok(v.nested.floats instanceof Float32Array);
    assert.deepEqual([...v.nested.floats], [1.5, 2.5]);
    assert.deepEqual({ ...v.bare }, { k: 1 });
  });

  it('cycles and shared references survive', () => {
    const a: { self?: unknown; list: unknown[] } = { list: [] };
    a.self = a;
    const shared = { n: 1 };
    a.list.push(shared, shared);
    const back = roundTrip(a).value as typeof a & { list: object[] };
    assert.equal(back.self, back);
    assert.equal(back.list[0], back.list[1]);
  });

  it('top-level typed arrays and Buffers use the typed-array serializer, all types', () => {
    for (const type of TYPED_ARRAY_TYPES) {
      const big = type === BigInt64Array || type === BigUint64Array;
      const source = new type(5);
      for (let i = 0; i < 5; i++) source[i] = big ? BigInt(i * 3) : i * 3;
      const { value, encoding, type: name } = roundTrip(source);
      assert.equal(encoding, 'typed-array');
      assert.equal(name, type.name);
      assert.ok(value instanceof type, type.name);
      assert.deepEqual([...(value as typeof source)], [...source]);
    }
    const buf = roundTrip(Buffer.from('bytes'));
    assert.equal(buf.type, 'Buffer');
    assert.ok(Buffer.isBuffer(buf.value));
    assert.equal((buf.value as Buffer).toString(), 'bytes');
    const view = new Float64Array(new Float64Array([9, 8, 7, 6]).buffer, 8, 2);
    assert.deepEqual([...(roundTrip(view).value as Float64Array)], [8, 7], 'a view stores only its window');
  });

  it('a large aligned typed array loads as a view without copying; a misaligned one is copied', () => {
    const source = new Float64Array(300_000).map((_, i) => i);
    const out = serializeArtifact('big', source);
    assert.equal(out.chunks.length, 2);
    assert.equal(out.chunks[1].buffer, source.buffer, 'serializing copies nothing');
    const framed = Buffer.concat([Uint8Array.of(0), ...out.chunks]);
    const aligned = deserializeArtifact('typed-array', framed.subarray(1)) as Float64Array;
    assert.equal(aligned.buffer, framed.buffer);
    assert.equal(aligned.byteOffset, 1 + TYPED_ARRAY_PREFIX_SIZE);
    assert.equal(aligned[299_999], 299_999);
    const shifted = Buffer.concat([Uint8Array.of(0, 0), ...out.chunks]).subarray(2);
    const copied = deserializeArtifact('typed-array', shifted) as Float64Array;
    assert.notEqual(copied.buffer, shifted.buffer);
    assert.equal(copied[123], 123);
  });

  it('large typed arrays nested in a value are passed as chunks, byte-identical to v8.serialize', () => {
    assert.ok(v8ChunkingEnabled());
    const weights = new Float64Array(100_000).map((_, i) => i / 2);
    const value = { weights, again: weights, layers: [{ bias: new Float32Array(50_000).fill(1) }], n: 1 };
    const out = serializeArtifact('model', value);
    assert.equal(out.encoding, 'v8');
    assert.ok(out.chunks.length > 2);
    assert.ok(
      out.chunks.some((chunk) => chunk.buffer === weights.buffer),
      'the weights are not copied',
    );
    assert.deepEqual(Buffer.concat(out.chunks), v8.serialize(value));
    const back = roundTrip(value).value as typeof value;
    assert.equal(back.again, back.weights);
    assert.equal(back.weights[99_999], 99_999 / 2);
    assert.equal(back.layers[0].bias[49_999], 1);
  });

  it('functions are refused with the artifact, path and type', () => {
    const err = refusal({ a: { handler: () => 1 } }, 'config');
    assert.equal(err.artifact, 'config');
    assert.equal(err.typeName, 'function');
    assert.equal(err.path, 'config.a.handler');
    assert.match(err.message, /^Artifact "config" cannot be stored: config\.a\.handler is a function/);
  });

  it('class instances are refused with their class name and exact path', () => {
    class Layer {
      units = 3;
    }
    const err = refusal({ layers: [new Layer()] }, 'model');
    assert.equal(err.typeName, 'Layer');
    assert.equal(err.path, 'model.layers[0]');
    assert.equal(
      err.message,
      'Artifact "model" cannot be stored: model.layers[0] is an instance of class Layer, which has no ' +
        'serializer. Store plain data (objects, arrays, Map, typed arrays) or register a serializer for ' +
        'Layer with registerSerializer().',
    );
    class Vec extends Float64Array {}
    assert.equal(refusal(new Vec(2)).typeName, 'Vec');
  });

  it('refusals inside Maps, Sets, odd keys, and of symbols, WeakMaps and Promises', () => {
    assert.equal(refusal(new Map([['k', Symbol('s')]]), 'm').path, 'm.get("k")');
    assert.equal(refusal(new Map([[Symbol('s'), 1]]), 'm').path, 'm.keys()[0]');
    assert.equal(refusal(new Set([1, () => 0]), 's').path, 's.values()[1]');
    assert.equal(refusal({ 'odd key': [0, new WeakMap()] }, 'o').path, 'o["odd key"][1]');
    assert.equal(refusal({ p: Promise.resolve(1) }, 'o').typeName, 'Promise');
    assert.equal(refusal(() => 1, 'f').path, 'f');
  });

  it('a cycle does not hide a refusal and does not loop', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    a.late = { fn: () => 0 };
    assert.equal(refusal(a, 'a').path, 'a.late.fn');
  });

  it('describeType and previewValue', () => {
    assert.equal(describeType(1), 'number');
    assert.equal(describeType('s'), 'string');
    assert.equal(describeType(null), 'null');
    assert.equal(describeType(undefined), 'undefined');
    assert.equal(describeType([1]), 'Array');
    assert.equal(describeType({}), 'object');
    assert.equal(describeType(new Map()), 'Map');
    assert.equal(describeType(new Float64Array(1)), 'Float64Array');
    assert.equal(describeType(Buffer.alloc(1)), 'Buffer');
    assert.equal(describeType(new (class Foo {})()), 'Foo');
    assert.equal(previewValue(42), '42');
    assert.equal(previewValue(true), 'true');
    assert.equal(previewValue('hi'), '"hi"');
    assert.equal(previewValue('x'.repeat(101)), undefined);
    assert.equal(previewValue(Number.NaN), undefined);
    assert.equal(previewValue({ a: 1 }), undefined);
    // Collections show their size and first items (dump showed nothing for them before).
    assert.equal(previewValue([1, 'a', [2], { b: 1 }]), '[1, "a", […1], {…}]');
    assert.equal(
      previewValue(Array.from({ length: 1000 }, (_, i) => i)),
      '[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, …] (1000 items)',
    );
    assert.equal(
      previewValue(
        new Map<unknown, unknown>([
          ['a', 1],
          [2n, new Set([1])],
        ]),
      ),
      'Map(2) {"a" => 1, 2n => Set(1)}',
    );
    assert.equal(previewValue(new Set(['x'])), 'Set(1) {"x"}');
    assert.match(previewValue(new Float64Array(5000)) ?? '', /^Float64Array\(5000\) \[0, 0, .*, …\]$/);
    assert.equal(serializeArtifact('n', 3).preview, '3');
  });

  it('registered serializers are tried by priority; unknown encodings are reported', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const pointSerializer: ArtifactSerializer = {
      id: 'point-json',
      priority: 500,
      canSerialize: (value) => value instanceof Point,
      serialize: (value) => Buffer.from(JSON.stringify(value)),
      deserialize: (bytes) => {
        const { x, y } = JSON.parse(bytes.toString()) as { x: number; y: number };
        return new Point(x, y);
      },
    };
    registerSerializer(pointSerializer);
    try {
      assert.deepEqual(
        listSerializers().map((s) => s.id),
        ['typed-array', 'point-json', 'v8'],
      );
      const { value, encoding, type } = roundTrip(new Point(1, 2));
      assert.equal(encoding, 'point-json');
      assert.equal(type, 'Point');
      assert.ok(value instanceof Point);
      assert.equal(value.y, 2);
    } finally {
      unregisterSerializer('point-json');
    }
    assert.throws(() => deserializeArtifact('point-json', Buffer.from('{}')), UnknownEncodingError);
  });
});
