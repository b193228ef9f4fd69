/**
 * The page's entry point: reads the pathspec from the URL, fetches that page's JSON, renders it, and
 * for a run, step or task that is still going polls the same endpoint every second (with its ETag, so
 * an unchanged answer is a 304) and re-renders on change. A task's logs follow by cursor (logs.ts).
 *
 * @module
 */
import type { ApiError, RunResponse, StepResponse, TaskResponse } from '../api-types.js';
import { el, pathLink } from './dom.js';
import { LogFollower } from './logs.js';
import { flowsView, runsView, runView, stepView, taskView } from './views.js';

const POLL_MS = 1000;

interface Route {
  readonly api: string;
  render(body: unknown, query: URLSearchParams): HTMLElement;
  /** True while the page can still change. */
  live(body: unknown): boolean;
  /** Called after each render. */
  after?(body: unknown, live: boolean): void;
}

function route(segments: readonly string[], query: URLSearchParams): Route {
  const enc = segments.map(encodeURIComponent).join('/');
  const q = query.toString() ? `?${query}` : '';
  switch (segments.length) {
    case 0:
      return { api: '/api/flows', render: (b) => flowsView(b as never), live: () => false };
    case 1:
      return { api: `/api/runs/${enc}${q}`, render: (b, qs) => runsView(b as never, qs), live: () => false };
    case 2:
      return {
        api: `/api/run/${enc}`,
        render: (b) => runView(b as RunResponse),
        live: (b) => (b as RunResponse).run.status === 'running',
      };
    case 3:
      return {
        api: `/api/step/${enc}${q}`,
        render: (b, qs) => stepView(b as StepResponse, qs),
        live: (b) => Boolean((b as StepResponse).counts.running),
      };
    default: {
      const logs = new LogFollower(`/api/log/${enc}`);
      return {
        api: `/api/task/${enc}`,
        render: (b) => taskView(b as TaskResponse),
        live: (b) => (b as TaskResponse).state === 'running',
        after: (b, live) => logs.show(b as TaskResponse, live),
      };
    }
  }
}

function crumbs(segments: readonly string[]): void {
  const nav = document.getElementById('crumbs');
  if (!nav) return;
  nav.replaceChildren(...segments.flatMap((s, i) => [' / ', pathLink(segments.slice(0, i + 1), s)]));
}

async function start(): Promise<void> {
  const main = document.getElementById('app');
  if (!main) return;
  const segments = location.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const query = new URLSearchParams(location.search);
  query.delete('token');
  crumbs(segments);
  document.title = segments.length > 0 ? `${segments.join('/')} · stepflow` : 'stepflow';
  const r = route(segments, query);
  let etag: string | undefined;
  for (;;) {
    let live = false;
    try {
      const res = await fetch(r.api, { headers: etag ? { 'If-None-Match': etag } : {} });
      if (res.status === 304) {
        live = true;
      } else if (!res.ok) {
        const err = (await res.json().catch(() => ({ error: 'Error', message: res.statusText }))) as ApiError;
        main.replaceChildren(el('p', { class: 'failure' }, `${err.error}: ${err.message}`));
      } else {
        etag = res.headers.get('etag') ?? undefined;
        const body: unknown = await res.json();
        main.replaceChildren(r.render(body, query));
        live = r.live(body);
        main.setAttribute('data-live', String(live));
        r.after?.(body, live);
      }
    } catch (err) {
      main.replaceChildren(el('p', { class: 'failure' }, `Could not reach stepflow ui: ${String(err)}`));
      live = true;
    }
    if (!live) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

void start();
