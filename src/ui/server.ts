/**
 * `stepflow ui`'s server: the app on a Node HTTP server, loopback unless asked otherwise, with an
 * access token whenever it listens beyond loopback.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { ClientOptions } from '../client/index.js';
import { createUiApp } from './app.js';
import { loadPageAssets } from './assets.js';
import { UiListenError } from './errors.js';
import { ReadModel } from './read-model.js';

/**
 * Where and what the server serves.
 *
 * @example
 * ```ts
 * const opts: UiServerOptions = { port: 0, host: '127.0.0.1', client: { datastore: '/tmp/ds' } };
 * ```
 */
export interface UiServerOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. Any other address than loopback requires the printed token. */
  readonly host?: string;
  /** Which datastore to read (the client's options; every namespace is shown). */
  readonly client?: ClientOptions;
  /** The AWS region of console links for records that do not name theirs (nor an ARN). */
  readonly region?: string;
}

/**
 * A running UI server.
 *
 * @example
 * ```ts
 * const ui = await startUiServer({});
 * console.log(ui.url);
 * await ui.close();
 * ```
 */
export interface UiServer {
  /** The URL to open (with `?token=` when a token is needed). */
  readonly url: string;
  readonly port: number;
  readonly token?: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * True when `host` is a loopback address (no token needed).
 *
 * @example
 * ```ts
 * isLoopback('127.0.0.1'); // true
 * ```
 */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Starts the server and resolves once it listens.
 *
 * @example
 * ```ts
 * const ui = await startUiServer({ client: { datastore: 's3://bucket/runs' } });
 * ```
 */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const host = options.host ?? '127.0.0.1';
  const loopback = isLoopback(host);
  const token = loopback ? undefined : randomBytes(24).toString('base64url');
  const assets = await loadPageAssets();
  const model = new ReadModel(options.client ?? {}, options.region ? { region: options.region } : {});
  let allowedHosts: string[] | undefined;
  const app = createUiApp({
    model,
    assets,
    token,
    get allowedHosts() {
      return allowedHosts;
    },
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve(
      { fetch: app.fetch, hostname: host.replace(/^\[|\]$/g, ''), port: options.port ?? 0 },
      () => resolve(s),
    );
    s.once('error', (err) => reject(new UiListenError({ host, port: options.port ?? 0, cause: err })));
  });
  const port = (server.address() as AddressInfo).port;
  if (loopback) allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host}:${port}`];
  const shownHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}/${token ? `?token=${token}` : ''}`;
  return {
    url,
    port,
    ...(token ? { token } : {}),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
