/**
 * The layered layout of a run's graph, drawn here rather than with a layout library: a step's layer is
 * its longest distance from a root (a step nobody points at), steps of one layer stack vertically in
 * graph order. No DOM: unit-tested under Node.
 *
 * @module
 */
import type { StepSummary } from '../api-types.js';

/** Size of a step box, in pixels. */
export const NODE_W = 150;
export const NODE_H = 44;
const GAP_X = 60;
const GAP_Y = 24;

/**
 * Node positions by step name, and the drawing's size.
 *
 * @example
 * ```ts
 * const { pos, width } = layoutSteps(steps);
 * ```
 */
export interface Layout {
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
