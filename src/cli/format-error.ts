/**
 * How the CLI words an error that stops a command.
 *
 * @module
 */

const EXPECTED = new Set([
  'UsageError',
  'GraphError',
  'RuntimeError',
  'DecoratorError',
  'DecoratorOptionError',
  'UnknownDecoratorError',
  'PackageBuildError',
  'PackageError',
  'DatastoreError',
  'StorageError',
  'FlowError',
  'DecoratorUsageError',
  'ConfigError',
  'ClientError',
  'NotFoundError',
  'NamespaceMismatchError',
]);

/** Families of stepflow's own errors (their messages already say what to do). */
const EXPECTED_PREFIXES = ['Batch', 'S3', 'Decorator', 'Package', 'Layer', 'Datastore', 'Storage', 'Config'];

function expected(name: string): boolean {
  return EXPECTED.has(name) || (name.endsWith('Error') && EXPECTED_PREFIXES.some((p) => name.startsWith(p)));
}

/**
 * One clear message for an error: expected errors without a stack, unexpected ones with it.
 *
 * @example
 * ```ts
 * process.stderr.write(formatCliError(err));
 * ```
 */
export function formatCliError(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'GraphError') return `${err.message}\nThe flow was not run: fix the problems above.`;
    if (expected(err.name)) return `stepflow: error: ${err.message}`;
    return `stepflow: unexpected error: ${err.stack ?? err.message}`;
  }
  return `stepflow: error: ${String(err)}`;
}
