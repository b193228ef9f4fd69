/**
 * The decorators layer's public surface: other folders import it through this file (a deep import fails the
 * boundary check, see ARCHITECTURE.md).
 *
 * @example
 * ```ts
 * import { StepHooks, type StepDecoratorPlugin } from '../decorators/index.js';
 * ```
 *
 * @module
 */

export {
  checkAttemptCap,
  isFallbackAttempt,
  MAX_ATTEMPTS_PER_TASK,
  type RetryBudget,
  retryBudget,
} from './attempt-cap.js';
export type {
  AttemptTimeout,
  GraphCheckContext,
  GraphProblem,
  InputData,
  LaunchedTask,
  LaunchOutcome,
  LayerInfo,
  LayerRequest,
  PluginCommand,
  PluginCommandContext,
  PluginCommandOption,
  PluginCommandServices,
  ResolvedDecorator,
  RetryCounts,
  RunEnd,
  RunFinishedContext,
  RunScope,
  RuntimeCheckContext,
  RuntimeRunContext,
  RuntimeTaskContext,
  StepDecoratorPlugin,
  StepInitContext,
  StepReplacement,
  StepWhere,
  TaskExceptionContext,
  TaskHookContext,
  TaskLauncher,
  TaskLaunchSpec,
  TaskSpec,
} from './contract.js';
export { DecoratorError, DecoratorOptionError, UnknownDecoratorError } from './errors.js';
export {
  defineStepDecorator,
  getStepDecorator,
  knownStepDecorators,
  registerStepDecorator,
  registerTaskHooks,
  stepDecorator,
} from './registry.js';
export { parseWithSpec, resolveDecorators, type WithSpec } from './resolve.js';
export { checkDecorators, checkPluginGraphs } from './static-check.js';
export { type AttemptPlan, RunHooks, StepHooks } from './step-hooks.js';
