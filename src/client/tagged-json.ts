/**
 * The tagged JSON form of artifact values (`stepflow dump --json`): every value has one, nothing is
 * dropped. Plain JSON values (null, booleans, strings, finite numbers, arrays, plain objects) stay as
 * they are; anything else becomes an object with a `"$type"` key:
 *
 * | value                                  | tagged form                                                      |
 * | -------------------------------------- | ---------------------------------------------------------------- |
 * | `undefined`                            | `{"$type":"Undefined"}`                                          |
 * | `NaN`, `Infinity`, `-Infinity`, `-0`   | `{"$type":"Number","value":"NaN"}` (the number as a string)      |
 * | `123n`                                 | `{"$type":"BigInt","value":"123"}`                               |
 * | `Date`                                 | `{"$type":"Date","value":"2026-01-02T03:04:05.000Z"}` (`null` if invalid) |
 * | `RegExp`                               | `{"$type":"RegExp","source":"a+","flags":"gi"}`                  |
 * | `Map`                                  | `{"$type":"Map","entries":[[key, value], ...]}`                  |
 * | `Set`                                  | `{"$type":"Set","values":[...]}`                                 |
 * | typed array (`Float64Array`, ...)      | `{"$type":"Float64Array","values":[...]}` (BigInt64 values as strings) |
 * | `Buffer`                               | `{"$type":"Buffer","base64":"..."}`                              |
 * | `ArrayBuffer`, `DataView`              | `{"$type":"ArrayBuffer","base64":"..."}`                         |
 * | `Error` (any class)                    | `{"$type":"Error","name":..,"message":..,"stack":..[,"cause":..]}` |
 * | `new Number(1)`, `new String('a')`, ...| `{"$type":"Boxed","value":<tagged primitive>}`                   |
 * | a hole in a sparse array               | `{"$type":"Hole"}`                                               |
 * | a plain object with its own `$type` key| `{"$type":"Object","value":{...}}` (so it is not mistaken for a tag) |
 * | a reference back to an enclosing value | `{"$type":"Cycle","path":"$.a.b"}`                               |
 * | a function or symbol                   | `{"$type":"Unsupported","typeof":"function","value":"..."}`      |
 *
 * A cycle's `path` points into the tagged output itself, from `$` (the artifact's value) through
 * `.key` / `["key"]` and `[index]` (so into a Map as `.entries[0][1]`). Objects reached twice
 * without a cycle are written twice. Tags nest: a Map's keys and values are tagged too.
 * {@link fromTaggedJson} turns the form back into values (cycles included).
 *
 * @module
 */

/**
 * A JSON value.
 *
 * @example
 * ```ts
 * const v: JsonValue = { a: [1, 'two', null] };
 * ```
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

type JsonObject = { [key: string]: JsonValue };

const TYPED_ARRAYS = new Set([
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
]);

/**
 * Converts a value to its tagged JSON form (see the module comment for the table).
 *
 * @example
 * ```ts
 * toTaggedJson(new Map([['a', 1n]])); // { $type: 'Map', entries: [['a', { $type: 'BigInt', value: '1' }]] }
 * JSON.stringify(toTaggedJson(value), null, 2);
 * ```
 */
export function toTaggedJson(value: unknown): JsonValue {
  return encode(value, '$', new Map());
}

function encode(value: unknown, path: string, ancestors: Map<object, string>): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return encodeNumber(value);
    case 'bigint':
      return { $type: 'BigInt', value: value.toString() };
    case 'undefined':
      return { $type: 'Undefined' };
    case 'function':
    case 'symbol':
      return { $type: 'Unsupported', typeof: typeof value, value: String(value) };
  }
  if (value === null) return null;
  const obj = value as object;
  const seen = ancestors.get(obj);
  if (seen !== undefined) return { $type: 'Cycle', path: seen };
  ancestors.set(obj, path);
  try {
    return encodeObject(obj, path, ancestors);
  } finally {
    ancestors.delete(obj);
  }
}

function encodeNumber(n: number): JsonValue {
  if (Number.isFinite(n) && !Object.is(n, -0)) return n;
  return { $type: 'Number', value: Object.is(n, -0) ? '-0' : String(n) };
}

function encodeObject(obj: object, path: string, ancestors: Map<object, string>): JsonValue {
  const at = (suffix: string, v: unknown) => encode(v, path + suffix, ancestors);
  if (Array.isArray(obj)) {
    const out: JsonValue[] = [];
    for (let i = 0; i < obj.length; i++) out.push(i in obj ? at(`[${i}]`, obj[i]) : { $type: 'Hole' });
    return out;
  }
  if (obj instanceof Map) {
    return {
      $type: 'Map',
      entries: [...obj].map(([k, v], i) => [at(`.entries[${i}][0]`, k), at(`.entries[${i}][1]`, v)]),
    };
  }
  if (obj instanceof Set) return { $type: 'Set', values: [...obj].map((v, i) => at(`.values[${i}]`, v)) };
  if (obj instanceof Date) {
    return { $type: 'Date', value: Number.isNaN(obj.getTime()) ? null : obj.toISOString() };
  }
  if (obj instanceof RegExp) return { $type: 'RegExp', source: obj.source, flags: obj.flags };
  if (Buffer.isBuffer(obj)) return { $type: 'Buffer', base64: obj.toString('base64') };
  if (ArrayBuffer.isView(obj)) return encodeView(obj);
  if (obj instanceof ArrayBuffer)
    return { $type: 'ArrayBuffer', base64: Buffer.from(obj).toString('base64') };
  if (obj instanceof Error) return encodeError(obj, path, ancestors);
  if (obj instanceof Number || obj instanceof String || obj instanceof Boolean || obj instanceof BigInt) {
    return { $type: 'Boxed', value: encode(obj.valueOf(), `${path}.value`, ancestors) };
  }
  const tagged = Object.hasOwn(obj, '$type');
  const base = tagged ? `${path}.value` : path;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) setKey(out, k, encode(v, base + keyPath(k), ancestors));
  return tagged ? { $type: 'Object', value: out } : out;
}

function encodeView(view: ArrayBufferView): JsonValue {
  const name = view.constructor.name;
  if (view instanceof DataView || !TYPED_ARRAYS.has(name)) {
    const bytes = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
    return { $type: view instanceof DataView ? 'DataView' : name, base64: bytes.toString('base64') };
  }
  const values = Array.from(view as unknown as ArrayLike<number | bigint>, (v) =>
    typeof v === 'bigint' ? v.toString() : encodeNumber(v),
  );
  return { $type: name, values };
}

function encodeError(err: Error, path: string, ancestors: Map<object, string>): JsonValue {
  const out: JsonObject = { $type: 'Error', name: err.name, message: err.message };
  if (err.stack !== undefined) out.stack = err.stack;
  if ('cause' in err) out.cause = encode(err.cause, `${path}.cause`, ancestors);
  if (err instanceof AggregateError) {
    out.errors = err.errors.map((e, i) => encode(e, `${path}.errors[${i}]`, ancestors));
  }
  return out;
}

/** Sets a key as an own property (also `__proto__`, which plain assignment would not). */
function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function keyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/**
 * Turns a tagged JSON form back into values: the inverse of {@link toTaggedJson} (cycles are
 * restored; a `Buffer` comes back as a `Buffer`, an `Unsupported` value as its string).
 *
 * @example
 * ```ts
 * const value = fromTaggedJson(JSON.parse(stdout)); // Maps, BigInts, Dates, ... again
 * ```
 */
export function fromTaggedJson(json: JsonValue): unknown {
  return decode(json, '$', new Map());
}

function decode(json: JsonValue, path: string, built: Map<string, unknown>): unknown {
  if (json === null || typeof json !== 'object') return json;
  if (Array.isArray(json)) {
    const out: unknown[] = [];
    built.set(path, out);
    json.forEach((item, i) => {
      if (isTag(item, 'Hole')) out.length = i + 1;
      else out[i] = decode(item, `${path}[${i}]`, built);
    });
    return out;
  }
  const type = typeof json.$type === 'string' ? json.$type : undefined;
  if (type === undefined) return decodeObject(json, path, built);
  const str = (key: string) => String(json[key]);
  const list = (key: string) => (Array.isArray(json[key]) ? (json[key] as JsonValue[]) : []);
  switch (type) {
    case 'Undefined':
    case 'Hole':
      return undefined;
    case 'Number':
      return str('value') === '-0' ? -0 : Number(str('value'));
    case 'BigInt':
      return BigInt(str('value'));
    case 'Date':
      return new Date(json.value === null ? Number.NaN : str('value'));
    case 'RegExp':
      return new RegExp(str('source'), str('flags'));
    case 'Buffer':
      return Buffer.from(str('base64'), 'base64');
    case 'ArrayBuffer':
    case 'DataView': {
      const bytes = Buffer.from(str('base64'), 'base64');
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      return type === 'DataView' ? new DataView(buffer) : buffer;
    }
    case 'Map': {
      const map = new Map();
      built.set(path, map);
      list('entries').forEach((entry, i) => {
        const [k, v] = entry as JsonValue[];
        const p = `${path}.entries[${i}]`;
        map.set(decode(k, `${p}[0]`, built), decode(v, `${p}[1]`, built));
      });
      return map;
    }
    case 'Set': {
      const set = new Set();
      built.set(path, set);
      list('values').forEach((v, i) => {
        set.add(decode(v, `${path}.values[${i}]`, built));
      });
      return set;
    }
    case 'Error':
      return decodeError(json, path, built);
    case 'Boxed':
      return Object(decode(json.value, `${path}.value`, built));
    case 'Object':
      return decodeObject(json.value as JsonObject, `${path}.value`, built, path);
    case 'Cycle':
      return built.get(str('path'));
    case 'Unsupported':
      return str('value');
  }
  if (TYPED_ARRAYS.has(type)) {
    const ctor = (globalThis as unknown as Record<string, new (v: unknown[]) => unknown>)[type];
    const values = list('values').map((v) =>
      type.startsWith('Big') ? BigInt(String(v)) : (decode(v, path, built) as number),
    );
    return new ctor(values);
  }
  return decodeObject(json, path, built);
}

function decodeObject(json: JsonObject, path: string, built: Map<string, unknown>, alias?: string): unknown {
  const out: Record<string, unknown> = {};
  built.set(path, out);
  if (alias) built.set(alias, out);
  for (const [k, v] of Object.entries(json)) setKey(out, k, decode(v, path + keyPath(k), built));
  return out;
}

function decodeError(json: JsonObject, path: string, built: Map<string, unknown>): Error {
  const err = new Error(String(json.message ?? ''));
  built.set(path, err);
  err.name = String(json.name ?? 'Error');
  if (typeof json.stack === 'string') err.stack = json.stack;
  if ('cause' in json) err.cause = decode(json.cause, `${path}.cause`, built);
  return err;
}

function isTag(json: JsonValue, type: string): boolean {
  return typeof json === 'object' && json !== null && !Array.isArray(json) && json.$type === type;
}
