/**
 * Refusing a file that is not a TypeScript flow before TypeScript parses it: a Metaflow flow written in
 * Python (`stepflow run flow.py`, a Metaflow user's likeliest first mistake) would otherwise come back as a
 * handful of syntax errors.
 *
 * @module
 */
import { extname } from 'node:path';
import type { GraphProblem } from './types.js';

/** File extensions stepflow reads flows from (TypeScript first; plain JavaScript also parses). */
export const FLOW_EXTENSIONS: readonly string[] = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

/** Where a Metaflow user reads how a flow is written here. */
const METAFLOW_GUIDE =
  'read "Coming from Metaflow" in stepflow\'s README (node_modules/stepflow/README.md): a flow is a ' +
  'TypeScript class, `@step start() { this.next(this.end); }`, `self.x` is `this.x`';

/** True when the text looks like a Metaflow flow written in Python. */
function looksLikeMetaflow(source: string): boolean {
  return (
    /^\s*(from\s+metaflow\s+import|import\s+metaflow)\b/m.test(source) ||
    /^\s*class\s+\w+\s*\(\s*FlowSpec\s*\)\s*:/m.test(source)
  );
}

/**
 * A problem when `file` is not a flow stepflow can read (a Python file, a Metaflow flow, another
 * extension); `undefined` when it is.
 *
 * @example
 * ```ts
 * fileKindProblem('flow.py', 'from metaflow import FlowSpec, step\n');
 * // { rule: 'metaflow-python', message: 'flow.py is a Metaflow flow written in Python; ...', ... }
 * fileKindProblem('flow.ts', "import { FlowSpec } from 'stepflow';"); // undefined
 * ```
 */
export function fileKindProblem(file: string, source: string): GraphProblem | undefined {
  const ext = extname(file).toLowerCase();
  const metaflow = looksLikeMetaflow(source);
  if (FLOW_EXTENSIONS.includes(ext) && !metaflow) return undefined;
  const kind = ext === '' ? 'a file without an extension' : `a ${ext} file`;
  if (metaflow) {
    return {
      rule: 'metaflow-python',
      message:
        `${file} is a Metaflow flow written in Python; stepflow runs flows written in TypeScript ` +
        '(.ts, .mts), with the same steps, decorators and artifacts',
      hint: `write the flow as a .ts file: ${METAFLOW_GUIDE}`,
      file,
      line: 1,
    };
  }
  return {
    rule: 'not-typescript',
    message: `${file} is ${kind}; stepflow runs flows written in TypeScript (.ts, .mts)`,
    hint: 'pass the flow\'s .ts file; README "A flow" shows how a flow is written',
    file,
    line: 1,
  };
}
