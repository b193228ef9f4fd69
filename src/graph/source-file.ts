/**
 * Parsing a flow file and resolving the names it imports (`FlowSpec`, `step`, `parameter`, and
 * decorator aliases), with the TypeScript parser only: no program, no type-checking.
 *
 * @module
 */
import type * as TS from 'typescript';
import type { GraphProblem } from './types.js';
import { ts } from './typescript.js';

/** A parsed file and what its imports mean. */
export interface ParsedFile {
  readonly file: string;
  readonly sourceFile: TS.SourceFile;
  /** Local name → imported name, for named imports (`import { step as s }` gives `s → step`). */
  readonly aliases: ReadonlyMap<string, string>;
  /** Names of classes exported as default (`export default class X`, `export default X`, ...). */
  readonly defaultExports: ReadonlySet<string>;
  /** Names imported by name from the `stepflow` package (as exported: `{ step as s }` gives `step`). */
  readonly frameworkImports: ReadonlySet<string>;
}

function scriptKind(file: string): TS.ScriptKind {
  if (/\.tsx$/i.test(file)) return ts.ScriptKind.TSX;
  if (/\.jsx$/i.test(file)) return ts.ScriptKind.JSX;
  if (/\.[cm]?js$/i.test(file)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

/**
 * The 1-based line of a node's first token (decorators and modifiers included).
 *
 * @example
 * ```ts
 * lineOf(method.name, parsed.sourceFile); // 12
 * ```
 */
export function lineOf(node: TS.Node, sourceFile: TS.SourceFile): number {
  return sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1;
}

function hasModifier(node: TS.Node, kind: TS.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node)?.some((m) => m.kind === kind) ?? false);
}

/**
 * Parses a flow file. Syntax errors come back as `syntax-error` problems (at most five); the
 * recovered tree is still usable.
 *
 * @example
 * ```ts
 * const { parsed, problems } = parseFlowFile('flow.ts', source);
 * ```
 */
export function parseFlowFile(
  file: string,
  source: string,
): { parsed: ParsedFile; problems: GraphProblem[] } {
  const sourceFile = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, scriptKind(file));
  const aliases = new Map<string, string>();
  const defaultExports = new Set<string>();
  const frameworkImports = new Set<string>();
  for (const statement of sourceFile.statements) {
    if (ts.isImportDeclaration(statement)) {
      const bindings = statement.importClause?.namedBindings;
      const fromFramework =
        ts.isStringLiteral(statement.moduleSpecifier) && statement.moduleSpecifier.text === 'stepflow';
      if (bindings !== undefined && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) {
          if (fromFramework) frameworkImports.add((element.propertyName ?? element.name).text);
          if (element.propertyName !== undefined && ts.isIdentifier(element.propertyName)) {
            aliases.set(element.name.text, element.propertyName.text);
          }
        }
      }
    } else if (ts.isClassDeclaration(statement) && statement.name !== undefined) {
      if (hasModifier(statement, ts.SyntaxKind.DefaultKeyword)) defaultExports.add(statement.name.text);
    } else if (ts.isExportAssignment(statement) && !statement.isExportEquals) {
      if (ts.isIdentifier(statement.expression)) defaultExports.add(statement.expression.text);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier === undefined) {
      const clause = statement.exportClause;
      if (clause !== undefined && ts.isNamedExports(clause)) {
        for (const element of clause.elements) {
          if (element.name.text === 'default')
            defaultExports.add((element.propertyName ?? element.name).getText());
        }
      }
    }
  }
  const diagnostics =
    (sourceFile as unknown as { parseDiagnostics?: readonly TS.DiagnosticWithLocation[] }).parseDiagnostics ??
    [];
  const problems = diagnostics.slice(0, 5).map(
    (diagnostic): GraphProblem => ({
      rule: 'syntax-error',
      message: `syntax error in ${file}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`,
      hint: 'fix the syntax error first; the flow cannot be read until the file parses',
      file,
      line: sourceFile.getLineAndCharacterOfPosition(diagnostic.start).line + 1,
    }),
  );
  return { parsed: { file, sourceFile, aliases, defaultExports, frameworkImports }, problems };
}

/**
 * The name an expression refers to after following import aliases: `step` for `step`, `s` (when
 * imported as `{ step as s }`) or `sf.step`.
 *
 * @example
 * ```ts
 * resolvedName(decorator.expression, parsed.aliases); // 'batch'
 * ```
 */
export function resolvedName(expr: TS.Expression, aliases: ReadonlyMap<string, string>): string | undefined {
  let node = expr;
  if (ts.isCallExpression(node)) node = node.expression;
  while (ts.isParenthesizedExpression(node)) node = node.expression;
  if (ts.isIdentifier(node)) return aliases.get(node.text) ?? node.text;
  if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.name)) return node.name.text;
  return undefined;
}

/**
 * The flow class declarations of a file: top-level classes whose `extends` names `FlowSpec` (bare,
 * through an import alias, or as `ns.FlowSpec`).
 *
 * @example
 * ```ts
 * flowClasses(parsed).map((c) => c.name?.text); // ['TrainFlow']
 * ```
 */
export function flowClasses(parsed: ParsedFile): TS.ClassDeclaration[] {
  return parsed.sourceFile.statements.filter(
    (statement): statement is TS.ClassDeclaration =>
      ts.isClassDeclaration(statement) &&
      (statement.heritageClauses ?? []).some(
        (clause) =>
          clause.token === ts.SyntaxKind.ExtendsKeyword &&
          clause.types.some((type) => resolvedName(type.expression, parsed.aliases) === 'FlowSpec'),
      ),
  );
}
