/**
 * The CLI commands a plugin contributes (`stepflow batch list|kill`): their shape, options and the one
 * context object an action takes. The CLI adds every registered plugin's commands (cli/plugin-commands.ts).
 *
 * @module
 */

/**
 * An option of a {@link PluginCommand}, in commander's notation.
 *
 * @example
 * ```ts
 * const wait: PluginCommandOption = { flags: '--wait <seconds>', description: 'how long to wait', parse: Number };
 * ```
 */
export interface PluginCommandOption {
  /** `--name <value>` (takes a value), `--flag` (a boolean). */
  readonly flags: string;
  readonly description: string;
  /** Turns the value into what the action gets; throws an `Error` whose message says what is expected. */
  readonly parse?: (value: string) => unknown;
}

/**
 * What a {@link PluginCommand}'s action gets: its positional arguments and its options (camelCase names).
 *
 * @example
 * ```ts
 * const action = (ctx: PluginCommandContext) => { console.log(ctx.args[0], ctx.options.runId); return 0; };
 * ```
 */
export interface PluginCommandContext {
  /** The positional arguments, in the order the command declares them. */
  readonly args: readonly string[];
  /** The options given, by camelCase name (`--run-id` → `runId`), parsed by their `parse`. */
  readonly options: Readonly<Record<string, unknown>>;
  /** The CLI's services a command may use (the layers a plugin does not reach itself). */
  readonly cli: PluginCommandServices;
}

/**
 * What the CLI does for a plugin's command: read a flow file as `run` and `check` read it.
 *
 * @example
 * ```ts
 * const flowName = await ctx.cli.flowNameOf('flow.ts'); // 'TrainFlow'; throws the graph's problems
 * ```
 */
export interface PluginCommandServices {
  /** The name of the flow class in `file` (`flowClass` picks one of several); throws when the flow is invalid. */
  flowNameOf(file: string, flowClass?: string): Promise<string>;
}

/**
 * A CLI command a plugin contributes (`stepflow batch list <flow.ts>`): the CLI adds every registered
 * plugin's commands, so it never names a plugin. A command has an `action` or `subcommands`.
 *
 * @example
 * ```ts
 * const hello: PluginCommand = {
 *   name: 'hello', description: 'say hello',
 *   arguments: [{ name: 'who', description: 'whom to greet' }],
 *   action: ({ args }) => { process.stdout.write(`hello ${args[0]}\n`); return 0; },
 * };
 * ```
 */
export interface PluginCommand {
  readonly name: string;
  /** One line, shown in `stepflow --help`. */
  readonly description: string;
  /** Required positional arguments. */
  readonly arguments?: readonly { readonly name: string; readonly description: string }[];
  readonly options?: readonly PluginCommandOption[];
  /** Text shown after the options in `--help`. */
  readonly help?: string;
  readonly subcommands?: readonly PluginCommand[];
  /** Runs the command; resolves to the exit code. */
  action?(ctx: PluginCommandContext): number | Promise<number>;
}
