/**
 * The traversal that gives a graph its structure (Metaflow's graph.py does the same): walk from
 * `start` with a stack of open splits; a branch or foreach step pushes itself for its children, a
 * join pops the split it closes.
 *
 * @module
 */

/** The part of a step the traversal needs. */
export interface StepShape {
  readonly name: string;
  readonly next: readonly string[];
  readonly isJoin: boolean;
  readonly foreach?: string;
}

/** How a step was reached: from which step, with which stack of open splits. */
export interface Arrival {
  readonly from: string;
  readonly stack: readonly string[];
}

/** What the traversal found. */
export interface GraphAnalysis {
  /** Steps reachable from `start` (every step when there is no `start`). */
  readonly reachable: ReadonlySet<string>;
  /** Reachable steps whose `next` leads to each step, in source order. */
  readonly inFuncs: ReadonlyMap<string, readonly string[]>;
  /** The open splits at each step, as first reached (outermost first). */
  readonly splitParents: ReadonlyMap<string, readonly string[]>;
  /** For each join reached inside a split: the split it closes (the top of the stack). */
  readonly matchingSplit: ReadonlyMap<string, string>;
  /** Every distinct way each step was reached. */
  readonly arrivals: ReadonlyMap<string, readonly Arrival[]>;
  /** Stacks of splits still open when `end` was reached (distinct, non-empty). */
  readonly openAtEnd: readonly (readonly string[])[];
  /** Each cycle (a strongly connected set of steps, or a step leading to itself), in source order. */
  readonly cycles: readonly (readonly string[])[];
}

/**
 * Whether a step opens a split for the steps after it: a foreach, or several targets (also on a join
 * that branches again).
 *
 * @example
 * ```ts
 * opensSplit({ name: 'start', next: ['a', 'b'], isJoin: false }); // true
 * ```
 */
export function opensSplit(step: StepShape): boolean {
  return step.foreach !== undefined || new Set(step.next).size > 1;
}

function findCycles(steps: ReadonlyMap<string, StepShape>, order: readonly string[]): string[][] {
  // Tarjan's strongly connected components.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (name: string): void => {
    index.set(name, counter);
    low.set(name, counter);
    counter += 1;
    stack.push(name);
    onStack.add(name);
    for (const target of steps.get(name)?.next ?? []) {
      if (!steps.has(target)) continue;
      if (!index.has(target)) {
        connect(target);
        low.set(name, Math.min(low.get(name)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(name, Math.min(low.get(name)!, index.get(target)!));
      }
    }
    if (low.get(name) === index.get(name)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== name);
      const selfLoop = steps.get(name)?.next.includes(name) ?? false;
      if (component.length > 1 || selfLoop) {
        cycles.push(order.filter((step) => component.includes(step)));
      }
    }
  };
  for (const name of order) if (!index.has(name)) connect(name);
  return cycles.sort((a, b) => order.indexOf(a[0]!) - order.indexOf(b[0]!));
}

/**
 * Walks the graph from `start` and computes `inFuncs`, `splitParents`, `matchingSplit`, plus what
 * validation needs (every stack each step was reached with, open splits at `end`, cycles).
 * Unknown targets are ignored, and so are edges that close a cycle.
 *
 * @example
 * ```ts
 * const analysis = analyzeGraph([
 *   { name: 'start', next: ['a', 'b'], isJoin: false },
 *   { name: 'a', next: ['join'], isJoin: false },
 *   { name: 'b', next: ['join'], isJoin: false },
 *   { name: 'join', next: ['end'], isJoin: true },
 *   { name: 'end', next: [], isJoin: false },
 * ]);
 * analysis.matchingSplit.get('join'); // 'start'
 * ```
 */
export function analyzeGraph(shapes: readonly StepShape[]): GraphAnalysis {
  const order = shapes.map((step) => step.name);
  const steps = new Map(shapes.map((step) => [step.name, step]));
  const reachable = new Set<string>();
  if (steps.has('start')) {
    const pending = ['start'];
    while (pending.length > 0) {
      const name = pending.pop()!;
      if (reachable.has(name) || !steps.has(name)) continue;
      reachable.add(name);
      pending.push(...steps.get(name)!.next);
    }
  } else {
    for (const name of order) reachable.add(name);
  }

  const inFuncs = new Map<string, string[]>(order.map((name) => [name, []]));
  for (const step of shapes) {
    if (!reachable.has(step.name)) continue;
    for (const target of new Set(step.next)) {
      const list = inFuncs.get(target);
      if (list !== undefined && !list.includes(step.name)) list.push(step.name);
    }
  }

  const splitParents = new Map<string, readonly string[]>();
  const matchingSplit = new Map<string, string>();
  const arrivals = new Map<string, Arrival[]>(order.map((name) => [name, []]));
  const openAtEnd: string[][] = [];
  const seen = new Set<string>();
  const onPath = new Set<string>();
  const visit = (name: string, stack: readonly string[]): void => {
    const key = `${name}|${stack.join('>')}`;
    if (seen.has(key)) return;
    seen.add(key);
    const step = steps.get(name)!;
    if (!splitParents.has(name)) splitParents.set(name, stack);
    let out = stack;
    if (step.isJoin && stack.length > 0) {
      if (!matchingSplit.has(name)) matchingSplit.set(name, stack[stack.length - 1]!);
      out = stack.slice(0, -1);
    }
    if (opensSplit(step)) out = [...out, name];
    if (name === 'end' && stack.length > 0 && !step.isJoin) {
      if (!openAtEnd.some((open) => open.join('>') === stack.join('>'))) openAtEnd.push([...stack]);
    }
    onPath.add(name);
    for (const target of new Set(step.next)) {
      if (!steps.has(target) || onPath.has(target)) continue;
      const list = arrivals.get(target)!;
      if (!list.some((a) => a.from === name && a.stack.join('>') === out.join('>'))) {
        list.push({ from: name, stack: out });
      }
      visit(target, out);
    }
    onPath.delete(name);
  };
  if (steps.has('start')) visit('start', []);

  return {
    reachable,
    inFuncs,
    splitParents,
    matchingSplit,
    arrivals,
    openAtEnd,
    cycles: findCycles(steps, order),
  };
}
