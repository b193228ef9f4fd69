/**
 * Errors of the code package layer: bundling failures, damaged or foreign archives, missing packages.
 *
 * @module
 */

import { brandErrorClass, type ErrorDisplay, StepflowError } from '../common/index.js';

/**
 * Base class of every error raised while building, storing or reading a code package.
 *
 * @example
 * ```ts
 * try { await buildCodePackage('flow.ts'); } catch (e) { if (e instanceof PackageError) console.error(e.message); }
 * ```
 */
export class PackageError extends StepflowError {
  static {
    brandErrorClass(PackageError, 'PackageError');
  }

  override readonly name: string = 'PackageError';
  /** The flow file the package was built from, when known. */
  readonly flowFile?: string;
  /** The package's sha256, when known. */
  readonly sha?: string;
  constructor(
    message: string,
    options: { flowFile?: string; sha?: string; hint?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause, hint: options.hint });
    this.flowFile = options.flowFile;
    this.sha = options.sha;
  }
}

/**
 * One esbuild message, reduced to what a user needs to find the problem.
 *
 * @example
 * ```ts
 * const m: BuildMessage = { file: '/p/flow.ts', line: 3, column: 20, text: 'Could not resolve "x"' };
 * ```
 */
export interface BuildMessage {
  /** The file (absolute path) the message points at, when esbuild knows it. */
  readonly file?: string;
  /** 1-based line. */
  readonly line?: number;
  /** 1-based column. */
  readonly column?: number;
  /** esbuild's text. */
  readonly text: string;
}

/**
 * Formats a build message as `file:line:col: text` (or just `text` when it has no location).
 *
 * @example
 * ```ts
 * formatBuildMessage({ file: '/p/flow.ts', line: 3, column: 20, text: 'Could not resolve "x"' });
 * // '/p/flow.ts:3:20: Could not resolve "x"'
 * ```
 */
export function formatBuildMessage(message: BuildMessage): string {
  if (message.file === undefined) return message.text;
  return `${message.file}:${message.line ?? 0}:${message.column ?? 0}: ${message.text}`;
}

/**
 * The flow (or something it imports) could not be bundled: a missing module, a syntax error, ...
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof PackageBuildError) for (const m of e.messages) console.error(m.file, m.line); }
 * ```
 */
export class PackageBuildError extends PackageError {
  static {
    brandErrorClass(PackageBuildError, 'PackageBuildError');
  }

  override readonly name = 'PackageBuildError';
  declare readonly flowFile: string;
  /** esbuild's errors, in its order. */
  readonly messages: readonly BuildMessage[];
  constructor(flowFile: string, messages: readonly BuildMessage[], options: { cause?: unknown } = {}) {
    const lines =
      messages.length > 0 ? messages.map((m) => `  ${formatBuildMessage(m)}`) : ['  (no details)'];
    const hint = 'Fix the import or syntax error above (install missing packages with npm) and run again.';
    super(`Could not bundle the flow ${flowFile}:\n${lines.join('\n')}\n${hint}`, {
      flowFile,
      hint,
      cause: options.cause,
    });
    this.messages = messages;
  }
}

/**
 * Bytes that should be a code package are not one this layer wrote (not gzip, not ustar, wrong
 * files, bad manifest) or do not match their sha256.
 *
 * @example
 * ```ts
 * throw new PackageFormatError('not a gzip stream', { sha });
 * ```
 */
export class PackageFormatError extends PackageError {
  static {
    brandErrorClass(PackageFormatError, 'PackageFormatError');
  }

  override readonly name = 'PackageFormatError';
  constructor(message: string, options: { sha?: string; cause?: unknown } = {}) {
    const hint =
      'The stored package is damaged or was not written by stepflow; rebuild it by running the flow again.';
    super(`Invalid code package${options.sha ? ` ${options.sha}` : ''}: ${message}. ${hint}`, {
      ...options,
      hint,
    });
  }
}

/**
 * The datastore has no code package under the requested sha.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof PackageNotFoundError) console.error(e.key); }
 * ```
 */
export class PackageNotFoundError extends PackageError {
  static {
    brandErrorClass(PackageNotFoundError, 'PackageNotFoundError');
  }

  override readonly name = 'PackageNotFoundError';
  /** The storage key that was looked up. */
  readonly key: string;
  constructor(key: string, options: { sha: string; storageRoot: string }) {
    const hint =
      'Check that the run used the same datastore root, or run the flow again to store a new package.';
    super(`No code package ${options.sha} at ${key} in ${options.storageRoot}. ${hint}`, {
      sha: options.sha,
      hint,
    });
    this.key = key;
  }
}

/** Why a cache folder was refused: see {@link UnsafeCacheDirError}. */
export type UnsafeCacheDirProblem = 'owner' | 'symlink' | 'not-a-directory' | 'parent';

/**
 * The per-user cache folder (or its parent) could be written by someone else, so nothing in it can be
 * trusted to run: it is owned by another user, is a symlink someone else made, is not a folder, or sits in
 * a folder that another user controls.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof UnsafeCacheDirError) console.error(e.dir, e.problem, e.ownerUid); }
 * ```
 */
export class UnsafeCacheDirError extends PackageError {
  static {
    brandErrorClass(UnsafeCacheDirError, 'UnsafeCacheDirError');
  }

  /** Printed by the CLI with its stack trace. */
  override get display(): ErrorDisplay {
    return 'stack';
  }

  override readonly name = 'UnsafeCacheDirError';
  /** The folder that was refused. */
  readonly dir: string;
  /** What is wrong with it. */
  readonly problem: UnsafeCacheDirProblem;
  /** The uid that owns the refused folder (or symlink), when that is the problem. */
  readonly ownerUid?: number;
  constructor(
    dir: string,
    problem: UnsafeCacheDirProblem,
    detail: string,
    options: { ownerUid?: number; cause?: unknown } = {},
  ) {
    const hint =
      'Remove it (or make it yours, mode 0700), or set STEPFLOW_CACHE_DIR (or XDG_CACHE_HOME) to a folder ' +
      'only you can write.';
    super(
      `Refusing the stepflow cache folder ${dir}: ${detail}, so another user could plant code that ` +
        `stepflow would run. ${hint}`,
      { cause: options.cause, hint },
    );
    this.dir = dir;
    this.problem = problem;
    this.ownerUid = options.ownerUid;
  }
}
