/**
 * The flow layer's public surface: other folders import it through this file (a deep import fails the
 * boundary check, see ARCHITECTURE.md).
 *
 * @example
 * ```ts
 * import { FlowSpec, step, current } from '../flow/index.js';
 * ```
 *
 * @module
 */

export { type CurrentInfo, current, setCurrent } from './current.js';
export { parameter, recordStepDecorator, step } from './decorate.js';
export {
  DecoratorUsageError,
  FlowError,
  MergeConflictError,
  ReservedNameError,
  TransitionError,
} from './errors.js';
export {
  FlowSpec,
  type Inputs,
  type ItemOf,
  isFlowClass,
  RESERVED_NAMES,
  type StepRef,
} from './flow-spec.js';
export {
  type FlowInfo,
  type ParameterOptions,
  type ParameterType,
  readFlowInfo,
  type StepDecoratorUse,
} from './metadata.js';
export {
  bindTaskState,
  type ForeachPosition,
  type MergeOptions,
  type NextOptions,
  type TaskState,
} from './task-state.js';
