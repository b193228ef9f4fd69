/**
 * `stepflow ui`: a read-only web view of a datastore (flows, runs, graphs, tasks, artifacts, logs),
 * served with nothing to deploy. See `ARCHITECTURE.md`.
 *
 * @example
 * ```ts
 * import { startUiServer } from './ui/index.js';
 * const ui = await startUiServer({ client: { datastore: '/tmp/ds', namespace: null } });
 * console.log(ui.url);
 * ```
 *
 * @module
 */
export type * from './api-types.js';
export { TASK_PAGE_SIZE } from './api-types.js';
export { createUiApp, TOKEN_COOKIE, type UiAppOptions } from './app.js';
export { loadPageAssets, type PageAssets } from './assets.js';
export { UiError, UiListenError } from './errors.js';
export { type LivePage, ReadModel, type ReadModelOptions } from './read-model.js';
export { isLoopback, startUiServer, type UiServer, type UiServerOptions } from './server.js';
export type { RunFilter } from './summaries.js';
