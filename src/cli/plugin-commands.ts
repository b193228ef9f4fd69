/**
 * Adds the commands registered plugins contribute (`PluginCommand`, e.g. `stepflow batch list`) to the
 * CLI, so `main.ts` never names a plugin.
 *
 * @module
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { PluginCommand, PluginCommandServices } from '../decorators/index.js';
import { getStepDecorator, knownStepDecorators } from '../decorators/index.js';
import { checkFlowFile } from '../graph/check.js';
import { GraphError } from '../graph/errors.js';

/**
 * The CLI's services to plugin commands: a flow file read as `run` reads it.
 *
 * @example
 * ```ts
 * await CLI_SERVICES.flowNameOf('flow.ts'); // 'TrainFlow'
 * ```
 */
export const CLI_SERVICES: PluginCommandServices = {
  async flowNameOf(file: string, flowClass?: string): Promise<string> {
    const { graph, problems } = await checkFlowFile(file, flowClass);
    if (!graph || problems.length > 0) throw new GraphError(problems, { file });
    return graph.flowName;
  },
};

/**
 * Adds every registered plugin's commands to `program`; an action's exit code goes to `setCode`.
 *
 * @example
 * ```ts
 * let code = 0;
 * addPluginCommands(program, (c) => { code = c; });
 * ```
 */
export function addPluginCommands(program: Command, setCode: (code: number) => void): void {
  for (const name of knownStepDecorators()) {
    for (const command of getStepDecorator(name)?.commands ?? []) addCommand(program, command, setCode);
  }
}

function addCommand(parent: Command, spec: PluginCommand, setCode: (code: number) => void): void {
  const command = parent.command(spec.name).description(spec.description);
  for (const sub of spec.subcommands ?? []) addCommand(command, sub, setCode);
  for (const argument of spec.arguments ?? []) command.argument(`<${argument.name}>`, argument.description);
  for (const option of spec.options ?? []) {
    const parse = option.parse;
    if (!parse) command.option(option.flags, option.description);
    else command.option(option.flags, option.description, (value: string) => parsed(parse, value));
  }
  if (spec.help) command.addHelpText('after', spec.help);
  const action = spec.action;
  if (!action) return;
  command.action(async (...received: unknown[]) => {
    const count = spec.arguments?.length ?? 0;
    const args = received.slice(0, count) as string[];
    const options = (received[count] ?? {}) as Record<string, unknown>;
    setCode(await action({ args, options, cli: CLI_SERVICES }));
  });
}

/** A plugin option's parse, its error shown as commander's usage error. */
function parsed(parse: (value: string) => unknown, value: string): unknown {
  try {
    return parse(value);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
}
