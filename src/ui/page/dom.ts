/**
 * Small DOM helpers for the page. Every piece of data goes in as text (`textContent`, attribute
 * values): nothing is ever parsed as HTML.
 *
 * @module
 */

/** Children `el` accepts: nodes, text, or nothing. */
export type Child = Node | string | number | null | undefined | false;

/**
 * Makes an element with attributes and children (strings become text nodes).
 *
 * @example
 * ```ts
 * el('a', { href: '/HelloFlow' }, 'HelloFlow');
 * ```
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) node.setAttribute(k, v);
  append(node, children);
  return node;
}

/**
 * Makes an SVG element.
 *
 * @example
 * ```ts
 * svg('rect', { x: '0', y: '0', width: '10', height: '10' });
 * ```
 */
export function svg(
  tag: string,
  attrs: Record<string, string | number> = {},
  ...children: Child[]
): SVGElement {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  append(node, children);
  return node;
}

function append(node: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/**
 * A link to a pathspec page (segments are URL-encoded).
 *
 * @example
 * ```ts
 * pathLink(['HelloFlow', '17'], '17');
 * ```
 */
export function pathLink(segments: readonly string[], text: string, query = ''): HTMLAnchorElement {
  return el('a', { href: `/${segments.map(encodeURIComponent).join('/')}${query}` }, text);
}

/**
 * A state badge (`successful`, `failed`, ...), coloured by its class.
 *
 * @example
 * ```ts
 * badge('running');
 * ```
 */
export function badge(state: string): HTMLSpanElement {
  return el('span', { class: `badge state-${state}`, 'data-state': state }, state);
}

/**
 * A table with a header row.
 *
 * @example
 * ```ts
 * table(['name', 'size'], [['x', '3']]);
 * ```
 */
export function table(head: readonly string[], rows: readonly (readonly Child[])[]): HTMLTableElement {
  return el(
    'table',
    {},
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((cell) => el('td', {}, cell))))),
  );
}

/**
 * A duration in a short human form (`850 ms`, `12.3 s`, `4 min 5 s`, `2 h 3 min`).
 *
 * @example
 * ```ts
 * formatDuration(65_000); // '1 min 5 s'
 * ```
 */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/**
 * A timestamp in the viewer's local time.
 *
 * @example
 * ```ts
 * formatTime('2026-01-02T03:04:05Z');
 * ```
 */
export function formatTime(iso: string | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '';
}
