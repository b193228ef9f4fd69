/**
 * Random flows for generative tests of `check` and `run`: a fast-check arbitrary over the flow grammar
 * (linear steps, static branches, foreaches nested at any depth, their joins, joins that split again),
 * with mutations that break it the ways users do (a join that is not one, a step that is not a join but
 * takes inputs, a `next` to the wrong step, a missing `next`, a missing end, a foreach or branch arm that
 * goes straight to its join). {@link renderFlow} writes the flow as a TypeScript source file.
 *
 * @module
 */
import fc from 'fast-check';

/** One piece of a flow body: a step, a branch with its join, or a foreach with its join. */
export type Segment =
  | { readonly kind: 'linear' }
  | { readonly kind: 'branch'; readonly arms: readonly (readonly Segment[])[] }
  | { readonly kind: 'foreach'; readonly body: readonly Segment[] };

/** A change that may make the flow invalid. Indices are taken modulo the number of steps. */
export type Mutation =
  | { readonly kind: 'drop-end' }
  | { readonly kind: 'unjoin'; readonly at: number }
  | { readonly kind: 'make-join'; readonly at: number }
  | { readonly kind: 'retarget'; readonly at: number; readonly to: number }
  | { readonly kind: 'drop-next'; readonly at: number }
  | { readonly kind: 'add-target'; readonly at: number; readonly to: number };

/** A generated flow: its body and the mutations applied to it. */
export interface FlowShape {
  readonly body: readonly Segment[];
  /** Let a join that leads to a split be that split itself (a join that branches or starts a foreach). */
  readonly fuse: boolean;
  readonly mutations: readonly Mutation[];
}

/** A step as rendered. */
export interface StepPlan {
  readonly name: string;
  targets: string[];
  foreach?: string;
  isJoin: boolean;
  hasNext: boolean;
}

const { segment } = fc.letrec<{ segment: Segment; segments: Segment[] }>((tie) => ({
  segment: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant<Segment>({ kind: 'linear' }),
    fc.record({
      kind: fc.constant('branch' as const),
      arms: fc.array(tie('segments'), { minLength: 2, maxLength: 3 }),
    }),
    fc.record({ kind: fc.constant('foreach' as const), body: tie('segments') }),
  ),
  // An empty arm or foreach body is allowed: it goes straight to its join (a wrong join).
  segments: fc.array(tie('segment'), { minLength: 0, maxLength: 2, depthIdentifier: 'flow' }),
}));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>({ kind: 'drop-end' }),
  fc.record({ kind: fc.constant('unjoin' as const), at: fc.nat(30) }),
  fc.record({ kind: fc.constant('make-join' as const), at: fc.nat(30) }),
  fc.record({ kind: fc.constant('retarget' as const), at: fc.nat(30), to: fc.nat(30) }),
  fc.record({ kind: fc.constant('drop-next' as const), at: fc.nat(30) }),
  fc.record({ kind: fc.constant('add-target' as const), at: fc.nat(30), to: fc.nat(30) }),
);

/**
 * Flows from the grammar; about half get one or two mutations.
 *
 * @example
 * ```ts
 * fc.sample(flowShape(), 1)[0]; // { body: [{ kind: 'foreach', body: [...] }], mutations: [] }
 * ```
 */
export function flowShape(): fc.Arbitrary<FlowShape> {
  return fc.record({
    body: fc.array(segment, { minLength: 1, maxLength: 3 }),
    fuse: fc.boolean(),
    mutations: fc.oneof(fc.constant([]), fc.array(mutation, { minLength: 1, maxLength: 2 })),
  });
}

/** The steps of a shape, in source order, after its mutations. */
export function planSteps(shape: FlowShape): StepPlan[] {
  const steps: StepPlan[] = [];
  let counter = 0;
  const fresh = (prefix: string): string => `${prefix}${++counter}`;
  const add = (step: Omit<StepPlan, 'hasNext'>): string => {
    steps.push({ ...step, hasNext: true });
    return step.name;
  };
  const emit = (segments: readonly Segment[], next: string): string => {
    let entry = next;
    for (const s of [...segments].reverse()) entry = emitSegment(s, entry);
    return entry;
  };
  const emitSegment = (s: Segment, next: string): string => {
    if (s.kind === 'linear') return add({ name: fresh('step'), targets: [next], isJoin: false });
    const join = add({ name: fresh('join'), targets: [next], isJoin: true });
    if (s.kind === 'foreach') {
      const name = fresh('each');
      return add({ name, targets: [emit(s.body, join)], foreach: `${name}Items`, isJoin: false });
    }
    const entries = [...new Set(s.arms.map((arm) => emit(arm, join)))];
    return add({ name: fresh('split'), targets: entries, isJoin: false });
  };
  const first = emit(shape.body, 'end');
  steps.push({ name: 'start', targets: [first], isJoin: false, hasNext: true });
  steps.reverse();
  steps.push({ name: 'end', targets: [], isJoin: false, hasNext: false });
  if (shape.fuse) {
    for (const join of steps.filter((s) => s.isJoin)) {
      const split = steps.find((s) => s.name === join.targets[0] && (s.foreach || s.targets.length > 1));
      if (split === undefined || join.targets.length !== 1) continue;
      // The split is entered from this join only (the grammar chains segments), so it can be dropped.
      join.targets = split.targets;
      if (split.foreach) join.foreach = `${join.name}Items`;
      steps.splice(steps.indexOf(split), 1);
    }
  }
  const pick = (i: number): StepPlan => steps[i % steps.length]!;
  for (const m of shape.mutations) {
    if (m.kind === 'drop-end') {
      const end = steps.findIndex((s) => s.name === 'end');
      if (end >= 0) steps.splice(end, 1);
    } else if (m.kind === 'unjoin') pick(m.at).isJoin = false;
    else if (m.kind === 'make-join') pick(m.at).isJoin = true;
    else if (m.kind === 'drop-next') pick(m.at).hasNext = false;
    else {
      const step = pick(m.at);
      if (step.name === 'end') continue;
      const to = pick(m.to).name;
      if (m.kind === 'retarget') step.targets = [to, ...step.targets.slice(1)];
      else if (!step.foreach && !step.targets.includes(to)) step.targets.push(to);
    }
  }
  return steps;
}

/**
 * The flow as a TypeScript source file (class `GenFlow`). Every step records that it ran; a foreach
 * step iterates over two items.
 *
 * @example
 * ```ts
 * writeFileSync('flow.ts', renderFlow(shape));
 * ```
 */
export function renderFlow(shape: FlowShape): string {
  const steps = planSteps(shape);
  const lines = [
    '// @ts-nocheck',
    "import { FlowSpec, type Inputs, step } from 'stepflow';",
    '',
    'export default class GenFlow extends FlowSpec {',
  ];
  for (const s of steps) {
    const param = s.isJoin ? 'inputs: Inputs<GenFlow>' : '';
    lines.push(`  @step ${s.name}(${param}) {`);
    if (s.isJoin) lines.push('    void inputs;');
    lines.push(`    this.ran_${s.name} = true;`);
    if (s.foreach) lines.push(`    this.${s.foreach} = ['a', 'b'];`);
    if (s.hasNext && s.targets.length > 0) {
      const targets = s.targets.map((t) => `this.${t}`).join(', ');
      lines.push(`    this.next(${targets}${s.foreach ? `, { foreach: '${s.foreach}' }` : ''});`);
    }
    lines.push('  }', '');
  }
  lines.push('}', '');
  return lines.join('\n');
}
