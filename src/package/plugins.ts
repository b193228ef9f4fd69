/**
 * The esbuild plugin of the code package build that bundles one copy of the framework (what cannot be
 * bundled is left out by `layer/esbuild-plugin.ts`).
 *
 * @module
 */

import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'esbuild';
import type { FrameworkRoot } from './framework-root.js';

/**
 * The bare specifier the bundle's entry stub uses to reach the task runner.
 *
 * @example
 * ```ts
 * `import { taskMain, isMainModule } from '${TASK_ENTRY_SPECIFIER}';`
 * ```
 */
export const TASK_ENTRY_SPECIFIER = 'stepflow/internal/task';

/**
 * Resolves `stepflow` to `<root>/index.<ext>` and `stepflow/internal/task` to
 * `<root>/task/entry.<ext>`, so the user's flow and the task runner share one copy of the framework
 * whatever `node_modules` holds. Any other `stepflow/…` subpath is an error.
 *
 * @example
 * ```ts
 * await esbuild.build({ plugins: [frameworkPlugin(frameworkRoot())], ... });
 * ```
 */
export function frameworkPlugin(root: FrameworkRoot): Plugin {
  const targets = new Map<string, string>([
    ['stepflow', path.join(root.dir, `index.${root.ext}`)],
    [TASK_ENTRY_SPECIFIER, path.join(root.dir, 'task', `entry.${root.ext}`)],
  ]);
  return {
    name: 'stepflow-framework',
    setup(build) {
      build.onResolve({ filter: /^stepflow(\/.*)?$/ }, (args) => {
        const target = targets.get(args.path);
        if (target === undefined) {
          return {
            errors: [
              { text: `"${args.path}" is not an entry point of stepflow; import from "stepflow" instead` },
            ],
          };
        }
        if (!existsSync(target)) {
          return {
            errors: [{ text: `stepflow's ${args.path} module is missing: ${target} does not exist` }],
          };
        }
        return { path: target };
      });
    },
  };
}
