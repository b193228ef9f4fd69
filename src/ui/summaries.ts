/**
 * The plain parts of the pages' data: a run's row, a step's summary from its tasks' states, an attempt's
 * detail, an artifact's preview, and the checks of names taken from a URL.
 *
 * @module
 */
import { type AttemptInfo, ClientError, type DataArtifact, type Run, toTaggedJson } from '../client/index.js';
import { errorMessage } from '../common/index.js';
import { checkSegment } from '../datastore/index.js';
import type { ArtifactDetail, AttemptDetail, RunSummary, StepSummary, UiJson, UiState } from './api-types.js';
import { uiState } from './task-records.js';

/** Artifacts larger than this (serialized bytes) are not loaded for a preview. */
export const PREVIEW_MAX_BYTES = 1 << 20;
/** A preview whose JSON is longer than this is replaced by a note. */
const PREVIEW_MAX_CHARS = 64 * 1024;
/**
 * Filters of the runs page.
 *
 * @example
 * ```ts
 * const f: RunFilter = { status: 'failed', user: 'ana' };
 * ```
 */
export interface RunFilter {
  readonly status?: string;
  readonly tag?: string;
  readonly user?: string;
}

/**
 * Names from a URL are key segments: a bad one is the client's error (400), before anything is read.
 *
 * @example
 * ```ts
 * checkNames({ 'flow name': 'HelloFlow', 'run id': '17' });
 * ```
 */
export function checkNames(names: Record<string, string>): void {
  for (const [what, value] of Object.entries(names)) {
    try {
      checkSegment(what, value);
    } catch (err) {
      throw new ClientError(`Invalid ${what} "${value}": ${errorMessage(err)}`, { cause: err });
    }
  }
}

/**
 * A run's row on the runs page.
 *
 * @example
 * ```ts
 * const row = runSummary(run);
 * ```
 */
export function runSummary(run: Run): RunSummary {
  const startedAt = run.createdAt.toISOString();
  const ended = run.finishedAt;
  return {
    id: run.id,
    status: run.status,
    user: run.user,
    tags: run.tags,
    startedAt,
    ...(ended ? { endedAt: ended.toISOString(), durationMs: ended.getTime() - run.createdAt.getTime() } : {}),
  };
}

/**
 * True when a run's row passes the runs page's filters.
 *
 * @example
 * ```ts
 * matches(row, { status: 'failed' });
 * ```
 */
export function matches(run: RunSummary, filter: RunFilter): boolean {
  if (filter.status && run.status !== filter.status) return false;
  if (filter.user && run.user !== filter.user) return false;
  if (filter.tag && !run.tags.includes(filter.tag)) return false;
  return true;
}

/**
 * How many tasks are in each state.
 *
 * @example
 * ```ts
 * countStates(['running', 'successful', 'running']); // { running: 2, successful: 1 }
 * ```
 */
export function countStates(states: readonly UiState[]): Partial<Record<UiState, number>> {
  const counts: Partial<Record<UiState, number>> = {};
  for (const s of states) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

/** The step's state from its tasks' states: a failure shows first, then work in progress. */
function stepState(counts: Partial<Record<UiState, number>>, tasks: number): UiState {
  if (tasks === 0) return 'pending';
  for (const s of ['failed', 'killed', 'running', 'interrupted'] as const) if (counts[s]) return s;
  return 'successful';
}

/**
 * The run's steps in graph order (then steps outside the graph), each with its tasks' states.
 *
 * @example
 * ```ts
 * const steps = stepSummaries(run, new Map([['start', ['successful']]]));
 * ```
 */
export function stepSummaries(run: Run, states: Map<string, UiState[]>): StepSummary[] {
  const graph = run.graph;
  const names = graph ? [...graph.order] : [];
  for (const name of states.keys()) if (!names.includes(name)) names.push(name);
  return names.map((name) => {
    const node = graph?.steps[name];
    const tasks = states.get(name) ?? [];
    const counts = countStates(tasks);
    return {
      name,
      kind: node?.kind ?? 'linear',
      next: node?.next ?? [],
      ...(node?.foreach ? { foreach: node.foreach } : {}),
      ...(node && node.decorators.length > 0 ? { decorators: node.decorators.map((d) => d.name) } : {}),
      state: stepState(counts, tasks.length),
      tasks: tasks.length,
      counts,
    };
  });
}

/**
 * One attempt as the task page shows it.
 *
 * @example
 * ```ts
 * const detail = attemptDetail(info, 'running');
 * ```
 */
export function attemptDetail(a: AttemptInfo, runStatus: UiState): AttemptDetail {
  const state = uiState(a.status, runStatus);
  return {
    attempt: a.attempt,
    state,
    ...(a.startedAt ? { startedAt: a.startedAt.toISOString() } : {}),
    ...(a.endedAt ? { endedAt: a.endedAt.toISOString() } : {}),
    ...(a.host ? { host: a.host } : {}),
    ...(a.error ? { error: { type: a.error.type, message: a.error.message, stack: a.error.stack } } : {}),
    ...(a.extra ? { extra: toTaggedJson(a.extra) as Record<string, UiJson> } : {}),
  };
}

/**
 * An artifact's name, type and size, with a tagged JSON preview when it is small enough.
 *
 * @example
 * ```ts
 * const rows = await Promise.all((await task.artifacts()).map(artifactDetail));
 * ```
 */
export async function artifactDetail(artifact: DataArtifact): Promise<ArtifactDetail> {
  const base = { name: artifact.name, type: artifact.type, size: artifact.size };
  if (artifact.size > PREVIEW_MAX_BYTES) {
    return { ...base, previewNote: `not previewed: larger than ${PREVIEW_MAX_BYTES} bytes; download it` };
  }
  const preview = toTaggedJson(await artifact.value());
  if (JSON.stringify(preview).length > PREVIEW_MAX_CHARS) {
    return { ...base, previewNote: `not previewed: its JSON is longer than ${PREVIEW_MAX_CHARS} characters` };
  }
  return { ...base, preview };
}
