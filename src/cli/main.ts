/**
 * The `stepflow` command line.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { checkCommand, showCommand } from './commands/check.js';
import { CONFIGURE_HELP, configureShowCommand } from './commands/configure.js';
import { DUMP_HELP, dumpCommand } from './commands/dump.js';
import { LOGS_HELP, logsCommand } from './commands/logs.js';
import { resumeCommand, runCommand } from './commands/run.js';
import { portNumber, UI_HELP, uiCommand } from './commands/ui.js';
import { cliExitCode, formatCliError } from './format-error.js';
import { addPluginCommands } from './plugin-commands.js';
import '../plugins/index.js';

/**
 * Runs the CLI with `argv` (without `node` and the script) and returns the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['run', 'flow.ts']);
 * ```
 */
export async function main(argv: readonly string[]): Promise<number> {
  let code = 0;
  const program = new Command('stepflow')
    .description("Metaflow's way of writing workflows, in TypeScript: run flows locally or on AWS Batch.")
    .version(packageVersion(), '-V, --version', 'print the version of stepflow')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program
    .command('run')
    .description('run a flow: stepflow run <flow.ts> [options] [--parameter value ...] (see run --help)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (args: string[]) => {
      code = await runCommand(args);
    });
  program
    .command('resume')
    .description(
      're-run the latest failed run, cloning finished tasks: stepflow resume <flow.ts> [step] [--origin-run-id ID]',
    )
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (args: string[]) => {
      code = await resumeCommand(args);
    });
  program
    .command('check')
    .description('check a flow statically (graph and decorators, as run does) and report every problem')
    .argument('<flow>', 'the flow file')
    .option('--flow <name>', 'the flow class, when the file has several')
    .option('--with <spec>', 'check a decorator added to every step, as run --with (repeatable)', collect, [])
    .action(async (file: string, opts: { flow?: string; with: string[] }) => {
      code = await checkCommand(file, opts);
    });
  program
    .command('show')
    .description('print the steps of a flow and how they connect')
    .argument('<flow>', 'the flow file')
    .option('--flow <name>', 'the flow class, when the file has several')
    .action(async (file: string, opts: { flow?: string }) => {
      code = await showCommand(file, opts);
    });
  program
    .command('logs')
    .description('print the stdout (or stderr) of past tasks: stepflow logs <Flow/run/step[/task]>')
    .argument('<pathspec>', 'Flow/run/step or Flow/run/step/task')
    .option('--stderr', 'print stderr instead of stdout')
    .option('--attempt <n>', 'the attempt to show (default: the latest)', attemptNumber)
    .option('--datastore-root <dir|s3-url>', 'the datastore to read: a folder or s3://bucket/prefix')
    .addHelpText('after', LOGS_HELP)
    .action(
      async (pathspec: string, opts: { stderr?: boolean; attempt?: number; datastoreRoot?: string }) => {
        code = await logsCommand(pathspec, opts);
      },
    );
  program
    .command('dump')
    .description('print the artifacts of past tasks: stepflow dump <Flow/run/step[/task]> [--json]')
    .argument('<pathspec>', 'Flow/run/step or Flow/run/step/task')
    .option('--json', 'print the values as JSON (tagged form for Map, BigInt, ...; see below)')
    .option('--datastore-root <dir|s3-url>', 'the datastore to read: a folder or s3://bucket/prefix')
    .addHelpText('after', DUMP_HELP)
    .action(async (pathspec: string, opts: { json?: boolean; datastoreRoot?: string }) => {
      code = await dumpCommand(pathspec, opts);
    });
  program
    .command('configure')
    .description('inspect the settings stepflow resolves as Metaflow does: stepflow configure show [--json]')
    .command('show')
    .description('print every effective setting, its value (secrets masked) and where it came from')
    .option('--json', 'print JSON, for scripts')
    .addHelpText('after', CONFIGURE_HELP)
    .action((opts: { json?: boolean }) => {
      code = configureShowCommand(opts);
    });
  program
    .command('ui')
    .description('browse flows, runs, graphs, tasks and logs in a browser: stepflow ui [--port N] [--host H]')
    .option('--port <n>', 'the port (default: a free one)', portNumber)
    .option('--host <address>', 'the address to listen on (default 127.0.0.1; others need the printed token)')
    .option('--datastore-root <dir|s3-url>', 'the datastore to read: a folder or s3://bucket/prefix')
    .addHelpText('after', UI_HELP)
    .action(async (opts: { port?: number; host?: string; datastoreRoot?: string }) => {
      code = await uiCommand(opts);
    });
  // Commands the plugins contribute (`stepflow batch list|kill` from @batch).
  addPluginCommands(program, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    process.stderr.write(`${formatCliError(err)}\n`);
    return cliExitCode(err);
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The version in stepflow's package.json (two folders up, from src/cli or dist/cli). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function attemptNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected an attempt number (0, 1, ...).');
  return Number(value);
}
