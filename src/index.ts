/**
 * stepflow: Metaflow's way of writing data and ML workflows, in TypeScript for Node.js.
 *
 * @example
 * ```ts
 * import { FlowSpec, step, parameter, type Inputs } from 'stepflow';
 *
 * export default class HelloFlow extends FlowSpec {
 *   @parameter({ help: 'how many items' }) width = 3;
 *   declare items: number[];
 *   declare doubled: number;
 *   declare total: number;
 *
 *   @step start() {
 *     this.items = Array.from({ length: this.width }, (_, i) => i);
 *     this.next(this.double, { foreach: 'items' });
 *   }
 *   @step double() { this.doubled = this.inputOf('items') * 2; this.next(this.join); }
 *   @step join(inputs: Inputs<HelloFlow>) { this.total = inputs.reduce((s, i) => s + i.doubled, 0); this.next(this.end); }
 *   @step end() { console.log(this.total); }
 * }
 * ```
 * Run it with `npx stepflow run hello.ts --width 10`.
 *
 * @module
 */
import './flow/metadata.js';

export {
  type AttemptInfo,
  type AttemptStatus,
  ClientError,
  type ClientObject,
  type ClientOptions,
  DataArtifact,
  defaultNamespace,
  Flow,
  fromTaggedJson,
  getByPathspec,
  getDatastore,
  getNamespace,
  type JsonValue,
  NamespaceMismatchError,
  NotFoundError,
  namespace,
  type ObjectKind,
  type PathspecParts,
  parsePathspec,
  Run,
  type RunStatus,
  Step,
  setDatastore,
  Task,
  toTaggedJson,
} from './client/index.js';
export {
  type ErrorDisplay,
  type ErrorWhere,
  errorMessage,
  StepflowError,
  type StepflowErrorOptions,
} from './common/index.js';
export { type ArtifactSerializer, registerSerializer } from './datastore/index.js';
export * from './datatools/index.js';
export type {
  GraphCheckContext,
  LaunchedTask,
  LaunchOutcome,
  PluginCommand,
  PluginCommandContext,
  PluginCommandOption,
  ResolvedDecorator,
  RetryCounts,
  RunEnd,
  RunFinishedContext,
  RunScope,
  StepDecoratorPlugin,
  TaskLauncher,
  TaskLaunchSpec,
  TaskSpec,
} from './decorators/index.js';
export {
  DecoratorError,
  DecoratorOptionError,
  defineStepDecorator,
  registerStepDecorator,
  UnknownDecoratorError,
} from './decorators/index.js';
export type {
  ForeachPosition,
  MergeOptions,
  NextOptions,
  ParameterOptions,
  ParameterType,
} from './flow/index.js';
export {
  type CurrentInfo,
  current,
  DecoratorUsageError,
  FlowError,
  FlowSpec,
  type Inputs,
  type ItemOf,
  isFlowClass,
  MergeConflictError,
  parameter,
  ReservedNameError,
  type StepRef,
  step,
  TransitionError,
} from './flow/index.js';
export type {
  BatchOptions,
  CatchErrorOptions,
  CaughtError,
  EnvironmentOptions,
  ResourcesOptions,
  RetryOptions,
  TimeoutOptions,
} from './plugins/index.js';
export { batch, catchError, environment, resources, retry, timeout } from './plugins/index.js';
