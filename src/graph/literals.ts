/**
 * Evaluation of decorator option literals, without running any code.
 *
 * @module
 */
import type * as TS from 'typescript';
import { ts } from './typescript.js';

/** The result of evaluating one decorator's arguments. */
export interface EvaluatedOptions {
  readonly options: Record<string, unknown>;
  /** Option names (or `'0'`, `'1'`... for non-object arguments) whose values are not literals. */
  readonly dynamic: Record<string, string>;
}

/** Marker for "not a literal". */
const NOT_LITERAL: unique symbol = Symbol('not-literal');
type Evaluated = unknown | typeof NOT_LITERAL;

function unwrap(node: TS.Expression): TS.Expression {
  let current = node;
  while (
    ts.isParenthesizedExpression(current) ||
    ts.isAsExpression(current) ||
    ts.isSatisfiesExpression(current) ||
    ts.isTypeAssertionExpression(current)
  ) {
    current = current.expression;
  }
  return current;
}

function propertyName(name: TS.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNoSubstitutionTemplateLiteral(name)) {
    return name.text;
  }
  if (ts.isNumericLiteral(name)) return String(Number(name.text));
  return undefined;
}

function evaluate(expr: TS.Expression, sourceFile: TS.SourceFile | undefined): Evaluated {
  const node = unwrap(expr);
  if (ts.isNumericLiteral(node)) return Number(node.text.replace(/_/g, ''));
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (node.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (node.kind === ts.SyntaxKind.NullKeyword) return null;
  if (ts.isPrefixUnaryExpression(node) && ts.isNumericLiteral(unwrap(node.operand))) {
    const value = evaluate(node.operand, sourceFile) as number;
    if (node.operator === ts.SyntaxKind.MinusToken) return -value;
    if (node.operator === ts.SyntaxKind.PlusToken) return value;
    return NOT_LITERAL;
  }
  if (ts.isArrayLiteralExpression(node)) {
    const items: unknown[] = [];
    for (const element of node.elements) {
      if (ts.isSpreadElement(element) || ts.isOmittedExpression(element)) return NOT_LITERAL;
      const value = evaluate(element, sourceFile);
      if (value === NOT_LITERAL) return NOT_LITERAL;
      items.push(value);
    }
    return items;
  }
  if (ts.isObjectLiteralExpression(node)) {
    const result = evaluateObject(node, sourceFile);
    return Object.keys(result.dynamic).length > 0 ? NOT_LITERAL : result.options;
  }
  return NOT_LITERAL;
}

function evaluateObject(
  node: TS.ObjectLiteralExpression,
  sourceFile: TS.SourceFile | undefined,
): EvaluatedOptions {
  const options: Record<string, unknown> = {};
  const dynamic: Record<string, string> = {};
  const text = (n: TS.Node): string => n.getText(sourceFile);
  for (const property of node.properties) {
    if (ts.isPropertyAssignment(property)) {
      const name = propertyName(property.name);
      if (name === undefined) {
        dynamic[text(property.name)] = text(property.initializer);
        continue;
      }
      const value = evaluate(property.initializer, sourceFile);
      if (value === NOT_LITERAL) dynamic[name] = text(property.initializer);
      else options[name] = value;
    } else if (ts.isShorthandPropertyAssignment(property)) {
      dynamic[property.name.text] = property.name.text;
    } else if (ts.isSpreadAssignment(property)) {
      dynamic[`...${text(property.expression)}`] = text(property);
    } else if (property.name !== undefined) {
      dynamic[propertyName(property.name) ?? text(property.name)] = text(property);
    }
  }
  return { options, dynamic };
}

/**
 * Evaluates the arguments of a decorator call. An object literal as first argument becomes `options`
 * (recursively: numbers, strings, template strings without substitutions, booleans, null, arrays,
 * nested objects); a non-literal option value goes into `dynamic` under its name, with its source
 * text. Any other argument goes into `dynamic` under its position (`'0'`, `'1'`, ...).
 *
 * @example
 * ```ts
 * // for `@batch({ cpu: 2, image: img })`
 * evaluateArguments(call.arguments, sourceFile);
 * // { options: { cpu: 2 }, dynamic: { image: 'img' } }
 * ```
 */
export function evaluateArguments(
  args: readonly TS.Expression[],
  sourceFile: TS.SourceFile,
): EvaluatedOptions {
  const options: Record<string, unknown> = {};
  const dynamic: Record<string, string> = {};
  args.forEach((arg, index) => {
    const node = unwrap(arg);
    if (index === 0 && ts.isObjectLiteralExpression(node)) {
      const result = evaluateObject(node, sourceFile);
      Object.assign(options, result.options);
      Object.assign(dynamic, result.dynamic);
    } else {
      dynamic[String(index)] = arg.getText(sourceFile);
    }
  });
  return { options, dynamic };
}

/**
 * Evaluates one expression when it is a literal (as {@link evaluateArguments} does for option values).
 *
 * @example
 * ```ts
 * literalValue(expr); // { ok: true, value: [1, 2] } for `[1, 2]`
 * ```
 */
export function literalValue(
  expr: TS.Expression,
  sourceFile?: TS.SourceFile,
): { ok: true; value: unknown } | { ok: false } {
  const value = evaluate(expr, sourceFile);
  return value === NOT_LITERAL ? { ok: false } : { ok: true, value };
}
