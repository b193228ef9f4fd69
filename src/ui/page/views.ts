/**
 * One render function per page: each takes the API's answer and returns the page's content.
 *
 * @module
 */
import type {
  FlowsResponse,
  RunResponse,
  RunsResponse,
  StepResponse,
  TaskResponse,
  UiJson,
} from '../api-types.js';
import { drawDag } from './dag.js';
import { badge, el, formatDuration, formatTime, pathLink, table } from './dom.js';

/**
 * The flows page.
 *
 * @example
 * ```ts
 * main.replaceChildren(flowsView(body));
 * ```
 */
export function flowsView(body: FlowsResponse): HTMLElement {
  if (body.flows.length === 0) return el('p', {}, 'No flows in this datastore yet.');
  return el(
    'section',
    {},
    el('h1', {}, 'Flows'),
    el('ul', { class: 'flows' }, ...body.flows.map((f) => el('li', {}, pathLink([f.name], f.name)))),
  );
}

/**
 * The runs of a flow, with the filter form.
 *
 * @example
 * ```ts
 * main.replaceChildren(runsView(body, new URLSearchParams(location.search)));
 * ```
 */
export function runsView(body: RunsResponse, query: URLSearchParams): HTMLElement {
  const input = (name: string, label: string) =>
    el('label', {}, `${label} `, el('input', { name, value: query.get(name) ?? '', size: '12' }));
  const form = el(
    'form',
    { method: 'get', class: 'filters' },
    input('status', 'status'),
    input('tag', 'tag'),
    input('user', 'user'),
    el('button', { type: 'submit' }, 'filter'),
  );
  const rows = body.runs.map((r) => [
    pathLink([body.flow, r.id], r.id),
    badge(r.status),
    r.user,
    r.tags.join(' '),
    formatTime(r.startedAt),
    formatDuration(r.durationMs),
  ]);
  return el(
    'section',
    {},
    el('h1', {}, body.flow),
    form,
    el('p', { class: 'muted' }, `${body.runs.length} of ${body.total} runs`),
    table(['run', 'status', 'user', 'tags', 'started', 'duration'], rows),
  );
}

/**
 * A run: graph, failure, parameters, timeline.
 *
 * @example
 * ```ts
 * main.replaceChildren(runView(body));
 * ```
 */
export function runView(body: RunResponse): HTMLElement {
  const { flow, run } = body;
  const params = Object.entries(body.parameters).map(([k, v]) => [k, jsonBlock(v)]);
  return el(
    'section',
    {},
    el('h1', {}, `${flow}/${run.id} `, badge(run.status)),
    el(
      'p',
      { class: 'muted' },
      `by ${run.user} · started ${formatTime(run.startedAt)}`,
      run.durationMs === undefined ? '' : ` · ${formatDuration(run.durationMs)}`,
      run.tags.length > 0 ? ` · tags: ${run.tags.join(' ')}` : '',
    ),
    body.failure ? failureBlock(body) : null,
    el('h2', {}, 'Graph'),
    el(
      'div',
      { class: 'dag-box' },
      drawDag(body.steps, (s) => `/${[flow, run.id, s].map(encodeURIComponent).join('/')}`),
    ),
    el('h2', {}, 'Parameters'),
    params.length > 0 ? table(['name', 'value'], params) : el('p', { class: 'muted' }, 'none'),
    el('h2', {}, 'Timeline'),
    timeline(body),
  );
}

function failureBlock(body: RunResponse): HTMLElement {
  const f = body.failure;
  if (!f) return el('div');
  return el(
    'div',
    { class: 'failure' },
    el('h2', {}, 'Why it failed'),
    ...f.errors.map((e) =>
      el(
        'p',
        {},
        pathLink([body.flow, body.run.id, ...e.task.split('/')], e.task),
        `: ${e.type}: ${e.message}`,
      ),
    ),
    f.errors.length === 0 ? el('p', {}, `failed tasks: ${f.tasks.join(', ')}`) : null,
  );
}

function timeline(body: RunResponse): HTMLElement {
  const times = body.timeline.flatMap((b) => [b.startedAt, b.endedAt]).filter((t): t is string => !!t);
  if (times.length === 0) return el('p', { class: 'muted' }, 'no task has started');
  const ms = times.map((t) => Date.parse(t));
  const t0 = Math.min(...ms);
  const now = Date.now();
  const t1 = Math.max(...ms, body.run.status === 'running' ? now : 0);
  const span = Math.max(1, t1 - t0);
  const rows = body.timeline.map((b) => {
    const start = b.startedAt ? Date.parse(b.startedAt) : t0;
    const end = b.endedAt ? Date.parse(b.endedAt) : b.state === 'running' ? now : start;
    const bar = el('div', {
      class: `bar state-${b.state}`,
      title: `${b.task} attempt ${b.attempt}: ${b.state}`,
    });
    bar.style.left = `${((start - t0) / span) * 100}%`;
    bar.style.width = `${Math.max(0.3, ((end - start) / span) * 100)}%`;
    const resubmits = b.resubmits ?? [];
    const marks = resubmits.map((r, i) => {
      const at = r.at ? Date.parse(r.at) : start + ((i + 1) / (resubmits.length + 1)) * (end - start);
      const mark = el('div', {
        class: 'tl-mark',
        'data-job': r.jobId,
        title: `job ${r.jobId} lost (${r.reason}); resubmitted${r.at ? ` at ${formatTime(r.at)}` : ''}`,
      });
      mark.style.left = `${((Math.min(Math.max(at, t0), t1) - t0) / span) * 100}%`;
      return mark;
    });
    const label = `${b.task}${b.attempt > 0 ? ` #${b.attempt}` : ''}${
      resubmits.length > 0 ? ` (${resubmits.length} resubmitted)` : ''
    }`;
    return el(
      'div',
      { class: 'tl-row' },
      el('span', { class: 'tl-label' }, label),
      el('div', { class: 'tl-track' }, bar, ...marks),
    );
  });
  return el(
    'div',
    { class: 'timeline' },
    ...rows,
    body.timelineOmitted > 0
      ? el('p', { class: 'muted' }, `${body.timelineOmitted} more tasks or attempts not shown`)
      : null,
  );
}

/**
 * A step's tasks, a page at a time, with a state filter.
 *
 * @example
 * ```ts
 * main.replaceChildren(stepView(body, query));
 * ```
 */
export function stepView(body: StepResponse, query: URLSearchParams): HTMLElement {
  const base = [body.flow, body.runId, body.step];
  const state = query.get('state') ?? '';
  const filters = el(
    'p',
    { class: 'filters' },
    pathLink(base, `all (${body.total})`),
    ...Object.entries(body.counts).flatMap(([s, n]) => [
      ' · ',
      pathLink(base, `${s} (${n})`, `?state=${encodeURIComponent(s)}`),
    ]),
  );
  const pages = Math.max(1, Math.ceil(body.matching / body.pageSize));
  const pageLink = (p: number, text: string) =>
    pathLink(base, text, `?${new URLSearchParams({ ...(state ? { state } : {}), page: String(p) })}`);
  const rows = body.tasks.map((t) => [
    pathLink([...base, t.id], t.id),
    badge(t.state),
    t.index === undefined ? '' : String(t.index),
    String(t.attempt),
    formatTime(t.startedAt),
    t.startedAt && t.endedAt ? formatDuration(Date.parse(t.endedAt) - Date.parse(t.startedAt)) : '',
  ]);
  return el(
    'section',
    {},
    el(
      'h1',
      {},
      `${body.step} `,
      el('span', { class: 'muted' }, `${body.total} task${body.total === 1 ? '' : 's'}`),
    ),
    filters,
    table(['task', 'state', 'index', 'attempt', 'started', 'duration'], rows),
    el(
      'p',
      { class: 'pager' },
      body.page > 0 ? pageLink(body.page - 1, '‹ previous') : null,
      ` page ${body.page + 1} of ${pages} `,
      body.page + 1 < pages ? pageLink(body.page + 1, 'next ›') : null,
    ),
  );
}

/**
 * A task: attempts, artifacts, logs.
 *
 * @example
 * ```ts
 * main.replaceChildren(taskView(body));
 * ```
 */
export function taskView(body: TaskResponse): HTMLElement {
  const path = [body.flow, body.runId, body.step, body.id];
  const attempts = body.attempts.map((a) =>
    el(
      'div',
      { class: 'attempt' },
      el('h3', {}, `attempt ${a.attempt} `, badge(a.state)),
      el(
        'p',
        { class: 'muted' },
        `${formatTime(a.startedAt)}${a.endedAt ? ` → ${formatTime(a.endedAt)}` : ''}${a.host ? ` on ${a.host}` : ''}`,
      ),
      a.arrayChild
        ? el('p', { class: 'array-child' }, `array job ${a.arrayChild.parent}, child ${a.arrayChild.index}`)
        : null,
      a.logConsole
        ? el(
            'p',
            {},
            'log stream: ',
            el(
              'a',
              { class: 'log-console', href: a.logConsole.url, rel: 'noreferrer noopener', target: '_blank' },
              a.logConsole.stream,
            ),
            ' (CloudWatch console)',
          )
        : null,
      a.error
        ? el('pre', { class: 'error' }, `${a.error.type}: ${a.error.message}\n${a.error.stack ?? ''}`)
        : null,
      ...Object.entries(a.records ?? {}).map(([name, record]) => recordTable(name, record)),
      a.extra ? el('details', {}, el('summary', {}, 'details'), jsonBlock(a.extra)) : null,
    ),
  );
  const artifacts = body.artifacts.map((a) => [
    a.name,
    a.type,
    String(a.size),
    a.preview === undefined ? el('span', { class: 'muted' }, a.previewNote ?? '') : jsonBlock(a.preview),
    el(
      'a',
      { href: `/api/artifact/${path.map(encodeURIComponent).join('/')}/${encodeURIComponent(a.name)}` },
      'download',
    ),
  ]);
  return el(
    'section',
    {},
    el('h1', {}, `${body.step}/${body.id} `, badge(body.state)),
    el('h2', {}, 'Attempts'),
    ...attempts,
    el(
      'h2',
      {},
      `Artifacts${body.artifactsAttempt === undefined ? '' : ` (attempt ${body.artifactsAttempt})`}`,
    ),
    artifacts.length > 0
      ? table(['name', 'type', 'size', 'preview', ''], artifacts)
      : el('p', { class: 'muted' }, 'none'),
    el('h2', {}, `stdout${body.logAttempt ? ` (attempt ${body.logAttempt})` : ''}`),
    el('pre', { class: 'log', id: 'stdout' }),
    el('h2', {}, 'stderr'),
    el('pre', { class: 'log', id: 'stderr' }),
    el('p', { class: 'muted', id: 'log-note' }),
  );
}

/** A record kept beside an attempt (e.g. `batch`): its top-level fields, scalars as text. */
function recordTable(name: string, record: UiJson): HTMLElement {
  const fields =
    record !== null && typeof record === 'object' && !Array.isArray(record) ? Object.entries(record) : [];
  const rows = fields.map(([k, v]) => [k, typeof v === 'object' && v !== null ? jsonBlock(v) : String(v)]);
  return el(
    'div',
    { class: 'record', 'data-record': name },
    el('h4', {}, `${name} record`),
    table(['field', 'value'], rows),
  );
}

function jsonBlock(value: UiJson | Readonly<Record<string, UiJson>>): HTMLElement {
  return el('pre', { class: 'json' }, JSON.stringify(value, null, 2));
}
