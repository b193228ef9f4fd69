/**
 * The run's graph as an SVG (placed by `layout.ts`): edges as straight lines, each step a link to its
 * page, filled by its state, with the foreach width (`×N`) when it ran more than one task.
 *
 * @module
 */
import type { StepSummary } from '../api-types.js';
import { svg } from './dom.js';
import { layoutSteps, NODE_H, NODE_W } from './layout.js';

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
