/**
 * The run's graph as an SVG: a layered layout drawn here (a step's layer is its longest distance from
 * `start`; steps of one layer stack vertically), edges as straight lines, each step a link to its page,
 * filled by its state, with the foreach width (`×N`) when it ran more than one task.
 *
 * @module
 */
import type { StepSummary } from '../api-types.js';
import { svg } from './dom.js';

const NODE_W = 150;
const NODE_H = 44;
const GAP_X = 60;
const GAP_Y = 24;

/** Node positions by step name. */
interface Layout {
  readonly pos: Map<string, { x: number; y: number }>;
  readonly width: number;
  readonly height: number;
}

/**
 * Places each step: layer = longest path from a root (steps nobody points at), in graph order.
 *
 * @example
 * ```ts
 * const { pos } = layoutSteps(steps);
 * ```
 */
export function layoutSteps(steps: readonly StepSummary[]): Layout {
  const names = new Set(steps.map((s) => s.name));
  const layer = new Map<string, number>();
  const targets = new Set(steps.flatMap((s) => s.next));
  const roots = steps.filter((s) => !targets.has(s.name)).map((s) => s.name);
  const queue = roots.length > 0 ? roots : steps.slice(0, 1).map((s) => s.name);
  for (const r of queue) layer.set(r, 0);
  // Longest path by relaxation; a step count bound keeps a cycle (never valid) from looping forever.
  for (let round = 0; round < steps.length; round++) {
    let changed = false;
    for (const s of steps) {
      const l = layer.get(s.name);
      if (l === undefined) continue;
      for (const n of s.next) {
        if (!names.has(n)) continue;
        if ((layer.get(n) ?? -1) < l + 1) {
          layer.set(n, l + 1);
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  for (const s of steps) if (!layer.has(s.name)) layer.set(s.name, 0);
  const rows = new Map<number, number>();
  const pos = new Map<string, { x: number; y: number }>();
  for (const s of steps) {
    const l = layer.get(s.name) ?? 0;
    const row = rows.get(l) ?? 0;
    rows.set(l, row + 1);
    pos.set(s.name, { x: 10 + l * (NODE_W + GAP_X), y: 10 + row * (NODE_H + GAP_Y) });
  }
  const maxLayer = Math.max(0, ...layer.values());
  const maxRows = Math.max(1, ...rows.values());
  return {
    pos,
    width: 20 + (maxLayer + 1) * NODE_W + maxLayer * GAP_X,
    height: 20 + maxRows * NODE_H + (maxRows - 1) * GAP_Y,
  };
}

/**
 * Draws the graph; `href(step)` gives each step's link.
 *
 * @example
 * ```ts
 * main.append(drawDag(body.steps, (s) => `/HelloFlow/17/${s}`));
 * ```
 */
export function drawDag(steps: readonly StepSummary[], href: (step: string) => string): SVGElement {
  const { pos, width, height } = layoutSteps(steps);
  const root = svg('svg', { class: 'dag', width, height, viewBox: `0 0 ${width} ${height}` });
  for (const s of steps) {
    const from = pos.get(s.name);
    for (const n of s.next) {
      const to = pos.get(n);
      if (!from || !to) continue;
      root.appendChild(
        svg('line', {
          class: 'edge',
          x1: from.x + NODE_W,
          y1: from.y + NODE_H / 2,
          x2: to.x,
          y2: to.y + NODE_H / 2,
        }),
      );
    }
  }
  for (const s of steps) {
    const p = pos.get(s.name);
    if (!p) continue;
    const width = s.tasks > 1 ? ` ×${s.tasks}` : '';
    const link = svg('a', { href: href(s.name), class: 'step', 'data-step': s.name, 'data-state': s.state });
    link.appendChild(
      svg('rect', { x: p.x, y: p.y, width: NODE_W, height: NODE_H, rx: 6, class: `state-${s.state}` }),
    );
    link.appendChild(svg('text', { x: p.x + 8, y: p.y + 18, class: 'step-name' }, s.name));
    link.appendChild(svg('text', { x: p.x + 8, y: p.y + 35, class: 'step-info' }, `${s.state}${width}`));
    root.appendChild(link);
  }
  return root;
}
