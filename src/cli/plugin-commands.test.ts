import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command, CommanderError } from 'commander';
import type { PluginCommandContext } from '../decorators/contract.js';
import { registerStepDecorator } from '../decorators/registry.js';
import { addPluginCommands, CLI_SERVICES } from './plugin-commands.js';

const seen: PluginCommandContext[] = [];

registerStepDecorator({
  name: 'pcProbe',
  optionNames: [],
  parseOptions: (raw) => ({ ...raw }),
  commands: [
    {
      name: 'probe',
      description: 'a command of the pcProbe plugin',
      subcommands: [
        {
          name: 'show',
          description: 'show a flow',
          arguments: [{ name: 'flow', description: 'the flow file' }],
          options: [
            { flags: '--run-id <id>', description: 'that run' },
            { flags: '--my-runs', description: 'mine' },
            {
              flags: '--wait <seconds>',
              description: 'how long',
              parse: (value) => {
                if (!/^\d+$/.test(value)) throw new Error('expected a number of seconds.');
                return Number(value);
              },
            },
          ],
          action: (ctx) => {
            seen.push(ctx);
            return 3;
          },
        },
      ],
    },
  ],
});

function program(): Command {
  return new Command('stepflow').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
}

describe('plugin-commands', () => {
  it("the CLI adds a registered plugin's commands: arguments and options reach the action, its code is kept", async () => {
    seen.length = 0;
    let code = 0;
    const cli = program();
    addPluginCommands(cli, (c) => {
      code = c;
    });
    await cli.parseAsync(['probe', 'show', 'flow.ts', '--run-id', '17', '--my-runs', '--wait', '5'], {
      from: 'user',
    });
    assert.equal(code, 3);
    assert.deepEqual(seen, [
      { args: ['flow.ts'], options: { runId: '17', myRuns: true, wait: 5 }, cli: CLI_SERVICES },
    ]);
  });

  it("a plugin option's parse error is a usage error naming what is expected", async () => {
    const errors: string[] = [];
    const cli = program().configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => {} });
    addPluginCommands(cli, () => {});
    await assert.rejects(
      cli.parseAsync(['probe', 'show', 'flow.ts', '--wait', 'soon'], { from: 'user' }),
      (err: unknown) => err instanceof CommanderError && err.code === 'commander.invalidArgument',
    );
    assert.match(errors.join(''), /expected a number of seconds/);
  });
});
