/**
 * Static extraction of flow graphs from source text.
 *
 * @module
 */
import type * as TS from 'typescript';
import { analyzeGraph } from './analyze.js';
import {
  attachDetails,
  type DuplicateMember,
  type FieldAssignment,
  type FlowDetails,
  type HelperMethod,
  type StepSource,
} from './details.js';
import { evaluateArguments } from './literals.js';
import { flowClasses, lineOf, type ParsedFile, parseFlowFile, resolvedName } from './source-file.js';
import { scanBody } from './step-body.js';
import type { DecoratorUse, FlowGraph, GraphParameter, GraphProblem, GraphStep, StepKind } from './types.js';
import { ts } from './typescript.js';

type RawStep = Omit<GraphStep, 'inFuncs' | 'splitParents' | 'matchingSplit'>;

function memberName(name: TS.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  if (ts.isPrivateIdentifier(name)) return name.text;
  return undefined;
}

function decoratorUse(decorator: TS.Decorator, name: string, parsed: ParsedFile): DecoratorUse {
  const { sourceFile } = parsed;
  const args = ts.isCallExpression(decorator.expression) ? decorator.expression.arguments : [];
  const { options, dynamic } = evaluateArguments(args, sourceFile);
  return {
    name,
    options,
    ...(Object.keys(dynamic).length > 0 ? { dynamic } : {}),
    line: lineOf(decorator, sourceFile),
  };
}

/** Kind of a step, from its shape (a join first, then end, foreach, branch, linear). */
function kindOf(
  name: string,
  isJoin: boolean,
  nextCount: number,
  next: readonly string[],
  foreach?: string,
): StepKind {
  if (isJoin) return 'join';
  if (nextCount === 0 && name === 'end') return 'end';
  if (foreach !== undefined) return 'foreach';
  return next.length > 1 ? 'branch' : 'linear';
}

interface ClassScan {
  readonly steps: RawStep[];
  readonly sources: Record<string, StepSource>;
  readonly parameters: GraphParameter[];
  readonly helpers: Record<string, HelperMethod>;
  readonly stepOnNonMethod: FieldAssignment[];
  readonly assigned: Set<string>;
  readonly duplicates: DuplicateMember[];
  opaque: boolean;
}

function scanMethod(member: TS.MethodDeclaration, name: string, scan: ClassScan, parsed: ParsedFile): void {
  const { sourceFile, aliases } = parsed;
  const decorators = ts.getDecorators(member) ?? [];
  const named = decorators.map((decorator) => ({
    decorator,
    name: resolvedName(decorator.expression, aliases),
  }));
  const isStep = named.some((d) => d.name === 'step');
  const line = lineOf(member.name, sourceFile);
  const body = member.body !== undefined ? scanBody(member.body, sourceFile) : undefined;
  for (const assignment of body?.assignments ?? []) scan.assigned.add(assignment.name);
  if (body?.opaque) scan.opaque = true;
  const previous = scan.sources[name] ?? scan.helpers[name];
  if (previous !== undefined) scan.duplicates.push({ name, line, firstLine: previous.line, what: 'step' });
  if (!isStep) {
    delete scan.sources[name];
    scan.helpers[name] = {
      name,
      line,
      decorators: named.map((d) => d.name ?? d.decorator.expression.getText(sourceFile)),
    };
    return;
  }
  delete scan.helpers[name];
  const parameterCount = member.parameters.filter(
    (p) => !(ts.isIdentifier(p.name) && p.name.text === 'this'),
  ).length;
  const nextCalls = body?.nextCalls ?? [];
  const first = nextCalls[0];
  const next = first?.targets ?? [];
  const isJoin = parameterCount >= 1;
  const step: RawStep = {
    name,
    line,
    kind: kindOf(name, isJoin, nextCalls.length, next, first?.foreach),
    next,
    ...(first?.foreach !== undefined ? { foreach: first.foreach } : {}),
    isJoin,
    decorators: named
      .filter((d) => d.name !== 'step')
      .map((d) => decoratorUse(d.decorator, d.name ?? d.decorator.expression.getText(sourceFile), parsed)),
    isAsync: ts.getModifiers(member)?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword) ?? false,
  };
  const index = scan.steps.findIndex((s) => s.name === name);
  if (index >= 0) scan.steps.splice(index, 1);
  scan.steps.push(step);
  scan.sources[name] = { name, line, parameterCount, nextCalls, assignments: body?.assignments ?? [] };
}

function scanClass(node: TS.ClassDeclaration, parsed: ParsedFile): ClassScan {
  const { sourceFile, aliases } = parsed;
  const scan: ClassScan = {
    steps: [],
    sources: {},
    parameters: [],
    helpers: {},
    stepOnNonMethod: [],
    assigned: new Set(),
    duplicates: [],
    opaque: false,
  };
  for (const member of node.members) {
    const isStatic =
      ts.canHaveModifiers(member) &&
      (ts.getModifiers(member)?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword) ?? false);
    if (isStatic) continue;
    if (ts.isConstructorDeclaration(member) && member.body !== undefined) {
      const body = scanBody(member.body, sourceFile);
      for (const assignment of body.assignments) scan.assigned.add(assignment.name);
      continue;
    }
    if (member.name === undefined) continue;
    const name = memberName(member.name);
    if (name === undefined) continue;
    const decorators = ts.canHaveDecorators(member) ? (ts.getDecorators(member) ?? []) : [];
    const names = decorators.map((d) => resolvedName(d.expression, aliases));
    if (ts.isMethodDeclaration(member)) {
      scanMethod(member, name, scan, parsed);
    } else if (ts.isPropertyDeclaration(member)) {
      if (member.initializer !== undefined) scan.assigned.add(name);
      if (names.includes('parameter')) {
        const line = lineOf(member.name, sourceFile);
        const clash = scan.parameters.find((p) => p.name === name);
        if (clash !== undefined)
          scan.duplicates.push({ name, line, firstLine: clash.line, what: 'parameter' });
        scan.parameters.push({ name, line });
        scan.assigned.add(name);
      }
      if (names.includes('step')) scan.stepOnNonMethod.push({ name, line: lineOf(member.name, sourceFile) });
    } else if (ts.isAccessor(member) && names.includes('step')) {
      scan.stepOnNonMethod.push({ name, line: lineOf(member.name, sourceFile) });
    }
  }
  return scan;
}

function buildFlow(node: TS.ClassDeclaration, flowName: string, parsed: ParsedFile): FlowGraph {
  const scan = scanClass(node, parsed);
  const analysis = analyzeGraph(scan.steps);
  const steps: Record<string, GraphStep> = {};
  for (const raw of scan.steps) {
    const matching = analysis.matchingSplit.get(raw.name);
    steps[raw.name] = {
      ...raw,
      inFuncs: analysis.inFuncs.get(raw.name) ?? [],
      splitParents: analysis.splitParents.get(raw.name) ?? [],
      ...(matching !== undefined ? { matchingSplit: matching } : {}),
    };
  }
  const graph: FlowGraph = {
    flowName,
    file: parsed.file,
    line: lineOf(node.name ?? node, parsed.sourceFile),
    steps,
    order: scan.steps.map((s) => s.name),
    parameters: scan.parameters,
  };
  const details: FlowDetails = {
    steps: scan.sources,
    helpers: scan.helpers,
    stepOnNonMethod: scan.stepOnNonMethod,
    assignedFields: [...scan.assigned],
    opaqueAssignments: scan.opaque,
    duplicates: scan.duplicates,
    frameworkImports: [...parsed.frameworkImports],
  };
  attachDetails(graph, details);
  return graph;
}

/** Flow classes of a parsed file, with the default-exported one marked. */
interface ExtractedFile {
  readonly flows: FlowGraph[];
  readonly defaultFlow?: FlowGraph;
  readonly problems: GraphProblem[];
}

function extractParsed(file: string, source: string): ExtractedFile {
  const { parsed, problems } = parseFlowFile(file, source);
  const flows: FlowGraph[] = [];
  let defaultFlow: FlowGraph | undefined;
  for (const node of flowClasses(parsed)) {
    const isDefault =
      ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword) === true ||
      (node.name !== undefined && parsed.defaultExports.has(node.name.text));
    if (node.name === undefined) {
      problems.push({
        rule: 'anonymous-flow',
        message: `the flow class exported as default in ${file} has no name`,
        hint: 'name the class, e.g. `export default class MyFlow extends FlowSpec { ... }`: runs are stored under it',
        file,
        line: lineOf(node, parsed.sourceFile),
      });
      continue;
    }
    const graph = buildFlow(node, node.name.text, parsed);
    flows.push(graph);
    if (isDefault) defaultFlow = graph;
  }
  return { flows, defaultFlow, problems };
}

/**
 * Reads every flow class of a file (classes extending `FlowSpec`) into complete graphs, with
 * `inFuncs`, `splitParents` and `matchingSplit` filled in. Problems here are about the file itself
 * (`syntax-error`, `anonymous-flow`); rules about a flow come from `validateGraph`.
 *
 * @example
 * ```ts
 * const { flows } = extractFlows('flow.ts', await readFile('flow.ts', 'utf8'));
 * flows[0].steps.start.next; // ['train']
 * ```
 */
export function extractFlows(file: string, source: string): { flows: FlowGraph[]; problems: GraphProblem[] } {
  const { flows, problems } = extractParsed(file, source);
  return { flows, problems };
}

/**
 * Extracts the flows of a file and picks the one to run: the only flow class, else the one named
 * `flowName`, else the default-exported one. Problems: `no-flow`, `ambiguous-flow`,
 * `flow-not-found`, plus those of {@link extractFlows}.
 *
 * @example
 * ```ts
 * const { graph, problems } = selectFlow('flow.ts', source, 'TrainFlow');
 * if (graph === undefined) console.error(formatProblems(problems));
 * ```
 */
export function selectFlow(
  file: string,
  source: string,
  flowName?: string,
): { graph?: FlowGraph; problems: GraphProblem[] } {
  const { flows, defaultFlow, problems } = extractParsed(file, source);
  const names = flows.map((flow) => flow.flowName).join(', ');
  if (flowName !== undefined) {
    const graph = flows.find((flow) => flow.flowName === flowName);
    if (graph !== undefined) return { graph, problems };
    problems.push({
      rule: 'flow-not-found',
      message: `no flow class named ${flowName} in ${file}${flows.length > 0 ? ` (found: ${names})` : ''}`,
      hint:
        flows.length > 0
          ? `pass one of: ${names}`
          : 'declare a class that extends FlowSpec, e.g. `export default class MyFlow extends FlowSpec`',
      file,
      line: 1,
    });
    return { problems };
  }
  if (flows.length === 1) return { graph: flows[0], problems };
  if (defaultFlow !== undefined) return { graph: defaultFlow, problems };
  if (flows.length === 0) {
    if (!problems.some((p) => p.rule === 'anonymous-flow')) {
      problems.push({
        rule: 'no-flow',
        message: `no class extends FlowSpec in ${file}`,
        hint: "declare `export default class MyFlow extends FlowSpec { ... }` with FlowSpec imported from 'stepflow'",
        file,
        line: 1,
      });
    }
    return { problems };
  }
  problems.push({
    rule: 'ambiguous-flow',
    message: `${file} has ${flows.length} flow classes (${names}) and none is exported as default`,
    hint: 'export the flow class as default, or pass --flow NAME',
    file,
    line: flows[0]!.line,
  });
  return { problems };
}
