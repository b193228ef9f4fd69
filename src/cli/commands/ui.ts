/**
 * `stepflow ui [--port N] [--host H] [--datastore-root ROOT]`: serves the datastore's flows, runs,
 * graphs, tasks and logs to a browser until interrupted.
 *
 * @module
 */
import { InvalidArgumentError } from 'commander';
import { awsRegion } from '../../aws/index.js';
import { ClientError } from '../../client/index.js';
import { ConfigError } from '../../config/index.js';
import { DatastoreError } from '../../datastore/index.js';
import { readAnyRun } from './logs.js';

/**
 * Options of {@link uiCommand}.
 *
 * @example
 * ```ts
 * const options: UiOptions = { port: 8080, datastoreRoot: 's3://bucket/runs' };
 * ```
 */
export interface UiOptions {
  readonly port?: number;
  readonly host?: string;
  readonly datastoreRoot?: string;
}

/**
 * The help text after the options of `stepflow ui --help`.
 *
 * @example
 * ```ts
 * command.addHelpText('after', UI_HELP);
 * ```
 */
export const UI_HELP = `
Serves a read-only view of the datastore (flows, runs, graphs, tasks, artifacts, logs) on
http://127.0.0.1:<free port>/ until Ctrl-C. URLs follow pathspecs: /Flow, /Flow/run, /Flow/run/step,
/Flow/run/step/task. Pages of runs still going update by themselves. The datastore is the one the
other commands read: --datastore-root, else METAFLOW_DEFAULT_DATASTORE and its sysroot, else ./.stepflow.
With --host other than loopback, the printed URL carries a token that every request needs.

Examples:
  stepflow ui
  stepflow ui --port 8080 --datastore-root s3://my-bucket/runs`;

/**
 * Starts the server, prints its URL, and resolves with the exit code once SIGINT or SIGTERM stops it.
 *
 * @example
 * ```ts
 * process.exitCode = await uiCommand({ port: 0 });
 * ```
 */
export async function uiCommand(options: UiOptions): Promise<number> {
  // The server (hono, the page) loads only for this command: other commands start without it.
  const { startUiServer, UiError } = await import('../../ui/index.js');
  try {
    const server = await startUiServer({
      port: options.port,
      host: options.host,
      client: readAnyRun(options.datastoreRoot),
      // For console links of records that do not name their region: the one @batch submits to.
      region: awsRegion(),
    });
    process.stdout.write(`stepflow ui: ${server.url}\n`);
    if (server.token) {
      process.stdout.write(`Every request needs the token in that URL (listening on ${options.host}).\n`);
    }
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await server.close();
    return 0;
  } catch (err) {
    if (
      err instanceof UiError ||
      err instanceof ClientError ||
      err instanceof DatastoreError ||
      err instanceof ConfigError
    ) {
      process.stderr.write(`stepflow: error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/**
 * Parses `--port` (0 to 65535; 0 picks a free port).
 *
 * @example
 * ```ts
 * portNumber('8080'); // 8080
 * ```
 */
export function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new InvalidArgumentError('expected a port number from 0 to 65535.');
  return n;
}
