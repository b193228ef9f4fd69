/**
 * Reading what a method body does: its `this.next(...)` calls and its assignments to `this.x`.
 *
 * @module
 */
import type * as TS from 'typescript';
import type { FieldAssignment, NextCall } from './details.js';
import { ts } from './typescript.js';

/** What one method body does. */
export interface BodyScan {
  readonly nextCalls: NextCall[];
  readonly assignments: FieldAssignment[];
  /** True when the body calls `Object.assign(this, ...)`. */
  readonly opaque: boolean;
}

const ASSIGNMENT_OPERATORS = new Set<TS.SyntaxKind>([
  ts.SyntaxKind.EqualsToken,
  ts.SyntaxKind.PlusEqualsToken,
  ts.SyntaxKind.MinusEqualsToken,
  ts.SyntaxKind.AsteriskEqualsToken,
  ts.SyntaxKind.AsteriskAsteriskEqualsToken,
  ts.SyntaxKind.SlashEqualsToken,
  ts.SyntaxKind.PercentEqualsToken,
  ts.SyntaxKind.LessThanLessThanEqualsToken,
  ts.SyntaxKind.GreaterThanGreaterThanEqualsToken,
  ts.SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken,
  ts.SyntaxKind.AmpersandEqualsToken,
  ts.SyntaxKind.BarEqualsToken,
  ts.SyntaxKind.CaretEqualsToken,
  ts.SyntaxKind.AmpersandAmpersandEqualsToken,
  ts.SyntaxKind.BarBarEqualsToken,
  ts.SyntaxKind.QuestionQuestionEqualsToken,
]);

function skipWrappers(node: TS.Expression): TS.Expression {
  let current = node;
  while (
    ts.isParenthesizedExpression(current) ||
    ts.isAsExpression(current) ||
    ts.isSatisfiesExpression(current) ||
    ts.isNonNullExpression(current) ||
    ts.isTypeAssertionExpression(current)
  ) {
    current = current.expression;
  }
  return current;
}

/**
 * The member name of `this.name` or `this['name']`, else `undefined`.
 *
 * @example
 * ```ts
 * thisMember(expr); // 'train' for `this.train`
 * ```
 */
export function thisMember(expr: TS.Expression): string | undefined {
  const node = skipWrappers(expr);
  if (ts.isPropertyAccessExpression(node) && node.expression.kind === ts.SyntaxKind.ThisKeyword) {
    return ts.isIdentifier(node.name) ? node.name.text : undefined;
  }
  if (
    ts.isElementAccessExpression(node) &&
    node.expression.kind === ts.SyntaxKind.ThisKeyword &&
    (ts.isStringLiteral(node.argumentExpression) ||
      ts.isNoSubstitutionTemplateLiteral(node.argumentExpression))
  ) {
    return node.argumentExpression.text;
  }
  return undefined;
}

function lineOf(node: TS.Node, sourceFile: TS.SourceFile): number {
  return sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1;
}

/** Does this statement consist of the given call (`x;`, `await x;`, `return x;`, `void x;`)? */
function statementIsCall(statement: TS.Statement, call: TS.CallExpression): boolean {
  let expr: TS.Expression | undefined;
  if (ts.isExpressionStatement(statement)) expr = statement.expression;
  else if (ts.isReturnStatement(statement)) expr = statement.expression;
  if (expr === undefined) return false;
  expr = skipWrappers(expr);
  while (ts.isAwaitExpression(expr) || ts.isVoidExpression(expr)) expr = skipWrappers(expr.expression);
  return expr === call;
}

function readNextCall(call: TS.CallExpression, body: TS.Block, sourceFile: TS.SourceFile): NextCall {
  const targets: string[] = [];
  const badArguments: string[] = [];
  let foreach: string | undefined;
  let dynamicForeach: string | undefined;
  call.arguments.forEach((arg, index) => {
    const target = thisMember(arg);
    if (target !== undefined) {
      targets.push(target);
      return;
    }
    const node = skipWrappers(arg);
    if (ts.isObjectLiteralExpression(node) && index === call.arguments.length - 1) {
      for (const property of node.properties) {
        const name = property.name !== undefined && ts.isIdentifier(property.name) ? property.name.text : '';
        if (name !== 'foreach') {
          // `numParallel`, `condition`, a typo: this.next takes only `foreach` (Metaflow's invalid transition).
          badArguments.push(property.getText(sourceFile));
          continue;
        }
        if (ts.isPropertyAssignment(property)) {
          const value = skipWrappers(property.initializer);
          if (ts.isStringLiteral(value) || ts.isNoSubstitutionTemplateLiteral(value)) foreach = value.text;
          else dynamicForeach = property.initializer.getText(sourceFile);
        } else {
          dynamicForeach = property.getText(sourceFile);
        }
      }
      return;
    }
    badArguments.push(arg.getText(sourceFile));
  });
  const last = body.statements[body.statements.length - 1];
  return {
    line: lineOf(call, sourceFile),
    targets,
    ...(foreach !== undefined ? { foreach } : {}),
    badArguments,
    ...(dynamicForeach !== undefined ? { dynamicForeach } : {}),
    isLast: last !== undefined && statementIsCall(last, call),
  };
}

function collectTargets(target: TS.Expression, out: string[]): void {
  const node = skipWrappers(target);
  const member = thisMember(node);
  if (member !== undefined) {
    out.push(member);
  } else if (ts.isArrayLiteralExpression(node)) {
    for (const element of node.elements) {
      collectTargets(ts.isSpreadElement(element) ? element.expression : element, out);
    }
  } else if (ts.isObjectLiteralExpression(node)) {
    for (const property of node.properties) {
      if (ts.isPropertyAssignment(property)) collectTargets(property.initializer, out);
      else if (ts.isSpreadAssignment(property)) collectTargets(property.expression, out);
    }
  } else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    collectTargets(node.left, out); // a default value in a destructuring pattern
  }
}

/** Nodes with their own `this`: their contents do not belong to the method. */
function hasOwnThis(node: TS.Node): boolean {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isClassLike(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isAccessor(node)
  );
}

/**
 * Scans a method body for `this.next(...)` calls and assignments to `this.x` (arrow functions
 * included; nested `function`s and classes, which have their own `this`, are skipped).
 *
 * @example
 * ```ts
 * const scan = scanBody(method.body, sourceFile);
 * scan.nextCalls[0]?.targets; // ['train']
 * ```
 */
export function scanBody(body: TS.Block, sourceFile: TS.SourceFile): BodyScan {
  const nextCalls: NextCall[] = [];
  const assignments: FieldAssignment[] = [];
  let opaque = false;
  const record = (target: TS.Expression, at: TS.Node): void => {
    const names: string[] = [];
    collectTargets(target, names);
    for (const name of names) assignments.push({ name, line: lineOf(at, sourceFile) });
  };
  const visit = (node: TS.Node): void => {
    if (hasOwnThis(node)) return;
    if (ts.isCallExpression(node)) {
      if (thisMember(node.expression) === 'next') {
        nextCalls.push(readNextCall(node, body, sourceFile));
      } else if (
        ts.isPropertyAccessExpression(node.expression) &&
        node.expression.getText(sourceFile) === 'Object.assign' &&
        node.arguments[0]?.kind === ts.SyntaxKind.ThisKeyword
      ) {
        opaque = true;
      }
    } else if (ts.isBinaryExpression(node) && ASSIGNMENT_OPERATORS.has(node.operatorToken.kind)) {
      record(node.left, node);
    } else if (
      (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
      (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)
    ) {
      record(node.operand, node);
    } else if (ts.isForOfStatement(node) || ts.isForInStatement(node)) {
      if (!ts.isVariableDeclarationList(node.initializer)) record(node.initializer, node);
    }
    ts.forEachChild(node, visit);
  };
  for (const statement of body.statements) visit(statement);
  return { nextCalls, assignments, opaque };
}
