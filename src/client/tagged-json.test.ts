import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import { fromTaggedJson, type JsonValue, toTaggedJson } from './tagged-json.js';

/** `[1, <hole>, 3]`. */
function holey(): unknown[] {
  const list: unknown[] = [1];
  list[2] = 3;
  return list;
}

describe('toTaggedJson', () => {
  it('keeps plain JSON values as they are', () => {
    const value = { a: [1, 'two', null, true], b: { c: -1.5 } };
    assert.deepEqual(toTaggedJson(value), value);
  });

  it('tags every value that has no JSON form', () => {
    const cases: [unknown, JsonValue][] = [
      [undefined, { $type: 'Undefined' }],
      [Number.NaN, { $type: 'Number', value: 'NaN' }],
      [Number.POSITIVE_INFINITY, { $type: 'Number', value: 'Infinity' }],
      [Number.NEGATIVE_INFINITY, { $type: 'Number', value: '-Infinity' }],
      [-0, { $type: 'Number', value: '-0' }],
      [2n ** 70n, { $type: 'BigInt', value: '1180591620717411303424' }],
      [new Date('2026-01-02T03:04:05Z'), { $type: 'Date', value: '2026-01-02T03:04:05.000Z' }],
      [new Date(Number.NaN), { $type: 'Date', value: null }],
      [/a+b/gi, { $type: 'RegExp', source: 'a+b', flags: 'gi' }],
      [
        new Map<unknown, unknown>([
          ['a', 1],
          [2n, new Set([1])],
        ]),
        {
          $type: 'Map',
          entries: [
            ['a', 1],
            [
              { $type: 'BigInt', value: '2' },
              { $type: 'Set', values: [1] },
            ],
          ],
        },
      ],
      [new Set(['x', undefined]), { $type: 'Set', values: ['x', { $type: 'Undefined' }] }],
      [
        new Float64Array([1.5, Number.NaN]),
        { $type: 'Float64Array', values: [1.5, { $type: 'Number', value: 'NaN' }] },
      ],
      [new Int32Array([-1, 2]), { $type: 'Int32Array', values: [-1, 2] }],
      [new BigInt64Array([-5n]), { $type: 'BigInt64Array', values: ['-5'] }],
      [Buffer.from('hi'), { $type: 'Buffer', base64: 'aGk=' }],
      [new Uint8Array([1, 2]).buffer, { $type: 'ArrayBuffer', base64: 'AQI=' }],
      [new DataView(new Uint8Array([1, 2, 3]).buffer, 1), { $type: 'DataView', base64: 'AgM=' }],
      [Object(1), { $type: 'Boxed', value: 1 }],
      [holey(), [1, { $type: 'Hole' }, 3]],
      [
        { $type: 'Map', x: 1 },
        { $type: 'Object', value: { $type: 'Map', x: 1 } },
      ],
    ];
    for (const [value, expected] of cases) assert.deepEqual(toTaggedJson(value), expected, String(value));
  });

  it('writes errors with name, message, stack and cause', () => {
    const err = new TypeError('bad', { cause: new Error('root') });
    const json = toTaggedJson(err) as Record<string, JsonValue>;
    assert.equal(json.$type, 'Error');
    assert.equal(json.name, 'TypeError');
    assert.equal(json.message, 'bad');
    assert.match(String(json.stack), /TypeError: bad/);
    assert.equal((json.cause as Record<string, JsonValue>).message, 'root');
  });

  it('marks cycles with the path of the enclosing value, and repeats shared values', () => {
    const nested: Record<string, unknown> = { a: [1, 2] };
    nested.self = nested;
    const map = new Map<string, unknown>();
    map.set('me', map);
    const shared = { s: 1 };
    const json = toTaggedJson({ nested, map, pair: [shared, shared] });
    assert.deepEqual(json, {
      nested: { a: [1, 2], self: { $type: 'Cycle', path: '$.nested' } },
      map: { $type: 'Map', entries: [['me', { $type: 'Cycle', path: '$.map' }]] },
      pair: [{ s: 1 }, { s: 1 }],
    });
    const root: unknown[] = [];
    root.push({ 'odd key': root });
    assert.deepEqual(toTaggedJson(root), [{ 'odd key': { $type: 'Cycle', path: '$' } }]);
  });

  it('survives JSON.stringify and reads back with fromTaggedJson, cycles included', () => {
    const cyclic: Record<string, unknown> = { list: holey() };
    cyclic.self = cyclic;
    const value = {
      table: new Map<unknown, unknown>([
        ['a', 1n],
        [new Date(0), new Set([/x/g])],
      ]),
      floats: new Float64Array([1, Number.NaN, Number.NEGATIVE_INFINITY]),
      big: new BigUint64Array([2n ** 64n - 1n]),
      buf: Buffer.from('bytes'),
      nothing: undefined,
      negZero: -0,
      escaped: { $type: 'Set', values: [1] },
      cyclic,
    };
    Object.defineProperty(value, '__proto__', { value: 'own key', enumerable: true });
    const back = fromTaggedJson(JSON.parse(JSON.stringify(toTaggedJson(value)))) as typeof value;
    assert.deepEqual(back.table, value.table);
    assert.deepEqual(back.floats, value.floats);
    assert.deepEqual(back.big, value.big);
    assert.ok(Buffer.isBuffer(back.buf) && back.buf.toString() === 'bytes');
    assert.ok('nothing' in back && back.nothing === undefined);
    assert.ok(Object.is(back.negZero, -0));
    assert.deepEqual(back.escaped, { $type: 'Set', values: [1] });
    assert.equal(back.cyclic.self, back.cyclic);
    assert.equal((back.cyclic.list as unknown[]).length, 3);
    assert.ok(!(1 in (back.cyclic.list as unknown[])));
    assert.equal(Object.getOwnPropertyDescriptor(back, '__proto__')?.value, 'own key');
    const err = fromTaggedJson(toTaggedJson(new RangeError('r', { cause: 7 }))) as Error;
    assert.ok(err instanceof Error && err.name === 'RangeError' && err.cause === 7);
  });

  it('handles what the v8 serializer hands back', () => {
    const stored = deserialize(serialize({ m: new Map([[1, { d: new Date(5) }]]), e: new Error('x') }));
    const json = toTaggedJson(stored) as Record<string, Record<string, JsonValue>>;
    assert.equal(json.m.$type, 'Map');
    assert.equal(json.e.$type, 'Error');
  });
});
