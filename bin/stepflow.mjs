#!/usr/bin/env node
// The stepflow command: runs the built CLI (dist/). Build it with `npm run build`.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('stepflow: error: the package is not built. Run `npm run build` first.\n');
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
