/**
 * Loading a flow file for a run: the static graph (refusing an invalid flow), the code package built and
 * materialized, and the flow class imported from the bundle so the CLI sees exactly what tasks will run.
 *
 * @module
 */
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkPluginGraphs } from '../decorators/index.js';
import { type FlowInfo, type FlowSpec, isFlowClass, readFlowInfo } from '../flow/index.js';
import { checkFlowFile } from '../graph/check.js';
import { GraphError } from '../graph/errors.js';
import type { FlowGraph } from '../graph/index.js';
import { buildCodePackage } from '../package/build.js';
import type { CodePackage } from '../package/index.js';
import { hostPlatform } from '../package/layer/platform.js';
import { materializeCodePackage } from '../package/materialize.js';
import { RuntimeError } from './errors.js';

/** A flow ready to run. */
export interface LoadedFlow {
  readonly file: string;
  readonly graph: FlowGraph;
  readonly flowClass: new () => FlowSpec;
  readonly info: FlowInfo;
  readonly codePackage: CodePackage;
  readonly bundlePath: string;
}

/**
 * Checks, bundles and imports a flow file. Throws a `GraphError` listing every problem of an invalid flow.
 *
 * @example
 * ```ts
 * const flow = await loadFlow('flow.ts');
 * flow.graph.order; // ['start', 'train', 'join', 'end']
 * ```
 */
export async function loadFlow(file: string, options: { flowName?: string } = {}): Promise<LoadedFlow> {
  const path = resolve(file);
  const checked = await checkFlowFile(path, options.flowName);
  const graph = checked.graph;
  // The graph's rules, then the registered plugins' static rules on it (as `stepflow check` reports them).
  const problems = graph
    ? [...checked.problems, ...checkPluginGraphs(graph)].sort((a, b) => a.line - b.line)
    : checked.problems;
  if (!graph || problems.length > 0) {
    throw new GraphError(problems, { file: path });
  }
  // Locally, the same layout as in a job: what cannot be bundled comes from a layer built for this machine.
  const codePackage = await buildCodePackage(path, { layer: { platform: hostPlatform() } });
  const bundlePath = await materializeCodePackage(codePackage, dirname(path));
  const bundle = (await import(pathToFileURL(bundlePath).href)) as { flowModule: Record<string, unknown> };
  const candidates = [bundle.flowModule.default, ...Object.values(bundle.flowModule)].filter(isFlowClass);
  const flowClass = candidates.find((c) => c.name === graph.flowName);
  if (!flowClass) {
    throw new RuntimeError(
      `${file} defines class ${graph.flowName} but does not export it. Export it: \`export default class ` +
        `${graph.flowName} extends FlowSpec\`.`,
      { flow: graph.flowName },
    );
  }
  const info = readFlowInfo(flowClass);
  if (!info) {
    throw new RuntimeError(`${graph.flowName} has no @step methods at run time. Mark its steps with @step.`, {
      flow: graph.flowName,
    });
  }
  for (const name of graph.order) {
    if (!info.steps.get(name)?.isStep) {
      throw new RuntimeError(
        `Step ${graph.flowName}.${name} is a step in the source but not at run time: is @step imported from ` +
          "'stepflow'?",
        { flow: graph.flowName },
      );
    }
  }
  return { file: path, graph, flowClass, info, codePackage, bundlePath };
}
