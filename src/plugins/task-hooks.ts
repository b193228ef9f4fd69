/**
 * What a task process needs of the built-in plugins: only their in-task hooks. Option parsing and
 * validation (zod, the @batch rules) and runtime hooks stay out of task processes, which keeps every
 * task's code smaller and its start-up faster. Imported by `task/entry.ts`.
 *
 * @module
 */
import { registerTaskHooks } from '../decorators/index.js';
import { catchErrorTaskHooks } from './catch-error/hooks.js';

registerTaskHooks('catchError', catchErrorTaskHooks);
