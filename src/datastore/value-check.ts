/**
 * Inspecting artifact values before they are serialized: their type name, a short preview, and
 * the first part that the default serializer would silently mangle or refuse.
 *
 * @module
 */

/**
 * Typed array constructors whose instances the serializers keep exactly (the index is the
 * `typed-array` serializer's type code, so the order must never change).
 *
 * @example
 * ```ts
 * TYPED_ARRAY_TYPES.some((type) => value instanceof type);
 * ```
 */
export const TYPED_ARRAY_TYPES = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const;

/** Prototypes of leaf values that structured clone keeps (nothing inside them to walk). */
const LEAF_PROTOTYPES = new Set<unknown>([
  Date.prototype,
  RegExp.prototype,
  ArrayBuffer.prototype,
  DataView.prototype,
  Buffer.prototype,
  Number.prototype,
  String.prototype,
  Boolean.prototype,
  BigInt.prototype,
  ...TYPED_ARRAY_TYPES.map((type) => type.prototype),
]);

/** Values that are objects but cannot be stored at all (they are not data). */
const REFUSED_PROTOTYPES = new Map<unknown, string>([
  [WeakMap.prototype, 'WeakMap'],
  [WeakSet.prototype, 'WeakSet'],
  [WeakRef.prototype, 'WeakRef'],
  [Promise.prototype, 'Promise'],
  [SharedArrayBuffer.prototype, 'SharedArrayBuffer'],
]);

/**
 * Where an unstorable value was found, and what it is.
 *
 * @example
 * ```ts
 * const found: UnstorableValue = { path: 'model.layers[0]', typeName: 'Layer' };
 * ```
 */
export interface UnstorableValue {
  /** Path from the root, such as `model.layers[0]` or `cache.get("k")`. */
  readonly path: string;
  /** `function`, `symbol`, `WeakMap`, or the class name of an instance. */
  readonly typeName: string;
}

/**
 * A short name for a value's type: `undefined`, `null`, `number`, `string`, `boolean`, `bigint`,
 * `symbol`, `function`, `Array`, `object` (plain), `Map`, `Float64Array`, `Buffer`, or a class name.
 *
 * @example
 * ```ts
 * describeType(new Map());          // 'Map'
 * describeType({ a: 1 });           // 'object'
 * describeType(new (class Foo {})); // 'Foo'
 * ```
 */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  if (Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype) return 'Array';
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === null || proto === Object.prototype) return 'object';
  const ctor = (proto as { constructor?: unknown }).constructor;
  const name = typeof ctor === 'function' ? ctor.name : '';
  return name || '<anonymous class>';
}

/** How long a preview of a collection may grow before it ends with `…`. */
const PREVIEW_CHARS = 80;

function scalarPreview(value: unknown, maxString: number): string | undefined {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') {
    return value.length <= maxString
      ? JSON.stringify(value)
      : `${JSON.stringify(value.slice(0, maxString))}…`;
  }
  if (value === undefined) return 'undefined';
  return undefined;
}

/** An item inside a collection's preview: a scalar, or a short mark for a nested value. */
function itemPreview(value: unknown): string {
  const scalar = scalarPreview(value, 20);
  if (scalar !== undefined) return scalar;
  if (Array.isArray(value)) return `[…${value.length}]`;
  if (value instanceof Map || value instanceof Set) return `${describeType(value)}(${value.size})`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  return value !== null && typeof value === 'object' ? '{…}' : String(value);
}

/** `head [a, b, …]`: items until the preview would pass {@link PREVIEW_CHARS}. */
function listPreview(
  head: string,
  items: Iterable<string>,
  total: number,
  open: string,
  close: string,
): string {
  const parts: string[] = [];
  let length = head.length + 2;
  for (const item of items) {
    if (length + item.length + 2 > PREVIEW_CHARS) break;
    parts.push(item);
    length += item.length + 2;
  }
  const more = parts.length < total ? `${parts.length > 0 ? ', ' : ''}…` : '';
  return `${head}${open}${parts.join(', ')}${more}${close}`;
}

function* firstItems<T>(values: Iterable<T>, limit: number): Generator<T> {
  let n = 0;
  for (const value of values) {
    if (n++ >= limit) return;
    yield value;
  }
}

/**
 * A short preview of a value for `stepflow dump`: finite numbers, booleans, `null`, and strings of at
 * most 100 characters as JSON; arrays, typed arrays, Maps and Sets as their size and first items
 * (`[1, 2, 3, …] (1000 items)`, `Map(2) {"a" => 1, "b" => 2}`). `undefined` for anything else.
 *
 * @example
 * ```ts
 * previewValue(42);        // '42'
 * previewValue('hi');      // '"hi"'
 * previewValue([1, 2]);    // '[1, 2]'
 * previewValue(new Map([['a', 1]])); // 'Map(1) {"a" => 1}'
 * ```
 */
export function previewValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length <= 100 ? JSON.stringify(value) : undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : undefined;
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  const limit = PREVIEW_CHARS / 2;
  if (Array.isArray(value)) {
    const items = [...firstItems(value, limit)].map(itemPreview);
    const list = listPreview('', items, value.length, '[', ']');
    return list.endsWith('…]') ? `${list} (${value.length} items)` : list;
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const view = value as unknown as ArrayLike<number | bigint>;
    const items = Array.from(
      firstItems(
        Array.from({ length: Math.min(view.length, limit) }, (_, i) => view[i]),
        limit,
      ),
    );
    return listPreview(
      `${describeType(value)}(${view.length}) `,
      items.map(itemPreview),
      view.length,
      '[',
      ']',
    );
  }
  if (value instanceof Map) {
    const items = [...firstItems(value, limit)].map(([k, v]) => `${itemPreview(k)} => ${itemPreview(v)}`);
    return listPreview(`Map(${value.size}) `, items, value.size, '{', '}');
  }
  if (value instanceof Set) {
    return listPreview(
      `Set(${value.size}) `,
      [...firstItems(value, limit)].map(itemPreview),
      value.size,
      '{',
      '}',
    );
  }
  return undefined;
}

/** One value waiting to be inspected, with how to name it if it turns out to be unstorable. */
interface Pending {
  readonly value: unknown;
  readonly parent: Pending | undefined;
  readonly segment: string;
}

/**
 * Walks a value (iteratively, cycle-safe, skipping typed-array contents) and returns the first
 * part that the `v8` serializer would refuse or silently turn into something else: functions,
 * symbols, instances of classes other than the built-in data types, WeakMap/WeakSet/Promise.
 * Errors of any class are accepted (they keep name, message, stack and cause).
 *
 * @example
 * ```ts
 * class Layer {}
 * findUnstorable({ layers: [new Layer()] }, 'model');
 * // { path: 'model.layers[0]', typeName: 'Layer' }
 * ```
 */
export function findUnstorable(value: unknown, rootName: string): UnstorableValue | undefined {
  const seen = new Set<object>();
  const stack: Pending[] = [{ value, parent: undefined, segment: rootName }];
  const children: Pending[] = [];
  while (stack.length > 0) {
    const item = stack.pop()!;
    const found = inspect(item, seen, children);
    if (found) return { path: pathOf(item), typeName: found };
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
    children.length = 0;
  }
  return undefined;
}

/** Returns the refused type name, or pushes the item's children that need a look into `children`. */
function inspect(item: Pending, seen: Set<object>, children: Pending[]): string | undefined {
  const value = item.value;
  if (typeof value === 'function') return 'function';
  if (typeof value === 'symbol') return 'symbol';
  if (typeof value !== 'object' || value === null || seen.has(value)) return undefined;
  seen.add(value);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) addChild(children, record[key], item, propSegment(key));
  } else if (proto === Array.prototype) {
    const array = value as unknown[];
    for (let i = 0; i < array.length; i++) addChild(children, array[i], item, `[${i}]`);
  } else if (proto === Map.prototype) {
    let i = 0;
    for (const [key, entry] of value as Map<unknown, unknown>) {
      addChild(children, key, item, `.keys()[${i}]`);
      addChild(children, entry, item, `.get(${keyLabel(key, i)})`);
      i++;
    }
  } else if (proto === Set.prototype) {
    let i = 0;
    for (const entry of value as Set<unknown>) addChild(children, entry, item, `.values()[${i++}]`);
  } else if (LEAF_PROTOTYPES.has(proto)) {
    return undefined;
  } else if (REFUSED_PROTOTYPES.has(proto)) {
    return REFUSED_PROTOTYPES.get(proto);
  } else if (value instanceof Error) {
    if ('cause' in value) addChild(children, value.cause, item, '.cause');
  } else {
    return describeType(value);
  }
  return undefined;
}

function addChild(children: Pending[], value: unknown, parent: Pending, segment: string): void {
  const type = typeof value;
  if ((type === 'object' && value !== null) || type === 'function' || type === 'symbol') {
    children.push({ value, parent, segment });
  }
}

function pathOf(item: Pending): string {
  const parts: string[] = [];
  for (let at: Pending | undefined = item; at; at = at.parent) parts.push(at.segment);
  return parts.reverse().join('');
}

function propSegment(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function keyLabel(key: unknown, index: number): string {
  if (typeof key === 'string') return JSON.stringify(key);
  if (typeof key === 'number' || typeof key === 'boolean') return String(key);
  if (typeof key === 'bigint') return `${key}n`;
  return `<key #${index}>`;
}
