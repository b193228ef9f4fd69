/**
 * The UI's HTTP app (hono): a JSON API per page under `/api/`, the page script and style under
 * `/static/`, and the one HTML shell for every pathspec URL. Read-only: anything but GET/HEAD is refused.
 *
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { ClientError, NotFoundError, toTaggedJson } from '../client/index.js';
import { DatastoreError } from '../datastore/index.js';
import type { ApiError } from './api-types.js';
import type { PageAssets } from './assets.js';
import { UiError } from './errors.js';
import { parseCursor } from './log-tail.js';
import type { LivePage, ReadModel } from './read-model.js';

/** The cookie that carries the access token after the first visit with `?token=`. */
export const TOKEN_COOKIE = 'stepflow_ui_token';

/**
 * How the app is set up.
 *
 * @example
 * ```ts
 * const app = createUiApp({ model: new ReadModel({ datastore: root }), assets, token: undefined });
 * ```
 */
export interface UiAppOptions {
  readonly model: ReadModel;
  readonly assets: PageAssets;
  /** When set, every request must carry it (`?token=` or the cookie). */
  readonly token?: string;
  /** When set, requests whose Host header is not one of these are refused (DNS rebinding). */
  readonly allowedHosts?: readonly string[];
}

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

const SHELL = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>stepflow</title><link rel="stylesheet" href="/static/page.css"></head>
<body><header><a href="/" id="home">stepflow</a><nav id="crumbs"></nav></header><main id="app">Loading…</main>
<script src="/static/page.js"></script></body></html>
`;

/**
 * Builds the app. `app.request(path)` answers without a socket (what the unit tests use).
 *
 * @example
 * ```ts
 * const res = await createUiApp(options).request('/api/flows');
 * ```
 */
export function createUiApp(options: UiAppOptions): Hono {
  const { model, assets } = options;
  const app = new Hono();
  app.use('*', async (c, next) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.header(k, v);
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      return c.json<ApiError>({ error: 'MethodNotAllowed', message: 'stepflow ui is read-only.' }, 405);
    }
    const host = c.req.header('host');
    if (options.allowedHosts && (!host || !options.allowedHosts.includes(host))) {
      return c.json<ApiError>(
        { error: 'Forbidden', message: `Host ${host ?? '(none)'} is not served.` },
        403,
      );
    }
    if (options.token && !tokenOk(c, options.token)) {
      return c.json<ApiError>(
        { error: 'Unauthorized', message: 'Open the URL stepflow ui printed (it carries ?token=...).' },
        401,
      );
    }
    await next();
  });

  app.get('/static/page.js', (c) => c.body(assets.script, 200, { 'Content-Type': 'text/javascript' }));
  app.get('/static/page.css', (c) => c.body(assets.style, 200, { 'Content-Type': 'text/css' }));

  app.get('/api/flows', (c) => answer(c, () => model.flows()));
  app.get('/api/runs/:flow', (c) =>
    answer(c, () =>
      model.runs(c.req.param('flow'), {
        status: c.req.query('status') || undefined,
        tag: c.req.query('tag') || undefined,
        user: c.req.query('user') || undefined,
      }),
    ),
  );
  app.get('/api/run/:flow/:run', (c) =>
    answerLive(c, () => model.runPage(c.req.param('flow'), c.req.param('run'))),
  );
  app.get('/api/step/:flow/:run/:step', (c) =>
    answerLive(c, () => {
      const page = Number.parseInt(c.req.query('page') ?? '0', 10);
      const p = c.req.param();
      return model.stepPage(
        p.flow,
        p.run,
        p.step,
        Number.isFinite(page) ? page : 0,
        c.req.query('state') || undefined,
      );
    }),
  );
  app.get('/api/task/:flow/:run/:step/:task', (c) => {
    const p = c.req.param();
    return answerLive(c, () => model.taskPage(p.flow, p.run, p.step, p.task));
  });
  app.get('/api/log/:flow/:run/:step/:task', async (c) => {
    const p = c.req.param();
    try {
      const stream = c.req.query('stream') ?? 'stdout';
      const attempt = Number(c.req.query('attempt') ?? '0');
      if ((stream !== 'stdout' && stream !== 'stderr') || !Number.isInteger(attempt) || attempt < 0) {
        throw new UiError('A log is ?stream=stdout|stderr&attempt=<n ≥ 0>[&cursor=<segment>:<offset>].');
      }
      const cursor = parseCursor(c.req.query('cursor'));
      const chunk = await model.log(p.flow, p.run, p.step, p.task, attempt, stream, cursor);
      c.header('Cache-Control', 'no-store');
      return c.json(chunk);
    } catch (err) {
      return errorAnswer(c, err);
    }
  });
  app.get('/api/artifact/:flow/:run/:step/:task/:name', async (c) => {
    const p = c.req.param();
    try {
      const value = await model.artifactValue(p.flow, p.run, p.step, p.task, p.name);
      return download(c, p.name, value);
    } catch (err) {
      return errorAnswer(c, err);
    }
  });
  app.get('/api/*', (c) => c.json<ApiError>({ error: 'NotFound', message: `No API at ${c.req.path}.` }, 404));

  app.get('*', (c) => {
    const segments = c.req.path.split('/').filter(Boolean);
    if (segments.length > 4) return c.text('Not found', 404);
    return c.html(SHELL);
  });
  return app;
}

function tokenOk(c: Context, token: string): boolean {
  const given = c.req.query('token');
  if (given !== undefined && same(given, token)) {
    setCookie(c, TOKEN_COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/' });
    return true;
  }
  const cookie = getCookie(c, TOKEN_COOKIE);
  return cookie !== undefined && same(cookie, token);
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Sends a live page: its version is the ETag, compared first, so an unchanged page answers 304 without
 * being built.
 */
async function answerLive(c: Context, open: () => Promise<LivePage<unknown>>): Promise<Response> {
  try {
    const page = await open();
    const etag = `"${page.version}"`;
    c.header('ETag', etag);
    c.header('Cache-Control', 'no-cache');
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    return c.body(JSON.stringify(await page.build()), 200, {
      'Content-Type': 'application/json; charset=utf-8',
    });
  } catch (err) {
    return errorAnswer(c, err);
  }
}

/** Sends `read()` as JSON with an ETag; 304 when the client's copy is current. */
async function answer(c: Context, read: () => Promise<unknown>): Promise<Response> {
  try {
    const body = JSON.stringify(await read());
    const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
    c.header('ETag', etag);
    c.header('Cache-Control', 'no-cache');
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    return c.body(body, 200, { 'Content-Type': 'application/json; charset=utf-8' });
  } catch (err) {
    return errorAnswer(c, err);
  }
}

function errorAnswer(c: Context, err: unknown): Response {
  const name = err instanceof Error ? err.name : 'Error';
  const message = err instanceof Error ? err.message : String(err);
  const status =
    err instanceof NotFoundError ? 404 : err instanceof ClientError || err instanceof UiError ? 400 : 500;
  if (status === 500 && !(err instanceof DatastoreError)) {
    process.stderr.write(`stepflow ui: ${err instanceof Error ? (err.stack ?? message) : message}\n`);
  }
  return c.json<ApiError>({ error: name, message }, status);
}

/** The raw value: text as text, bytes as bytes, anything else as its tagged JSON. */
function download(c: Context, name: string, value: unknown): Response {
  const safe = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  const attach = (ext: string) => ({ 'Content-Disposition': `attachment; filename="${safe}${ext}"` });
  if (typeof value === 'string') {
    return c.body(value, 200, { 'Content-Type': 'text/plain; charset=utf-8', ...attach('.txt') });
  }
  if (value instanceof Uint8Array) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
    return c.body(bytes, 200, { 'Content-Type': 'application/octet-stream', ...attach('.bin') });
  }
  const json = `${JSON.stringify(toTaggedJson(value), null, 2)}\n`;
  return c.body(json, 200, { 'Content-Type': 'application/json; charset=utf-8', ...attach('.json') });
}
