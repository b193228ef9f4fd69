import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as TS from 'typescript';
import { evaluateArguments, literalValue } from './literals.js';
import { ts } from './typescript.js';

function argsOf(call: string): { args: readonly TS.Expression[]; sourceFile: TS.SourceFile } {
  const sourceFile = ts.createSourceFile('x.ts', `f(${call});`, ts.ScriptTarget.Latest, true);
  const statement = sourceFile.statements[0] as TS.ExpressionStatement;
  return { args: (statement.expression as TS.CallExpression).arguments, sourceFile };
}

function evaluate(call: string) {
  const { args, sourceFile } = argsOf(call);
  return evaluateArguments(args, sourceFile);
}

describe('literals', () => {
  it('evaluates numbers, strings, booleans, null and templates', () => {
    const result = evaluate(
      "{ cpu: 2, memory: 8_192, gpu: -1, frac: +0.5, hex: 0x10, image: 'img', tag: `t`, tmpfs: true, off: false, none: null }",
    );
    assert.deepEqual(result.options, {
      cpu: 2,
      memory: 8192,
      gpu: -1,
      frac: 0.5,
      hex: 16,
      image: 'img',
      tag: 't',
      tmpfs: true,
      off: false,
      none: null,
    });
    assert.deepEqual(result.dynamic, {});
  });

  it('evaluates arrays and nested objects recursively', () => {
    const result = evaluate(
      "{ tags: ['a', 'b'], logOptions: { driver: 'awslogs', opts: { n: [1, { x: true }] } }, 'quoted-key': 1 }",
    );
    assert.deepEqual(result.options, {
      tags: ['a', 'b'],
      logOptions: { driver: 'awslogs', opts: { n: [1, { x: true }] } },
      'quoted-key': 1,
    });
  });

  it('unwraps `as const` and parentheses', () => {
    assert.deepEqual(evaluate("{ a: ('x' as const), b: [1] as const }").options, { a: 'x', b: [1] });
  });

  /** A template literal with a substitution, as source text. */
  const TEMPLATE = '`v$' + '{n}`';

  it('non-literal values go to dynamic with their source text', () => {
    const result = evaluate(
      `{ cpu: N * 2, image, tag: ${TEMPLATE}, nested: { a: f() }, list: [1, x], ...rest, [k]: 1 }`,
    );
    assert.deepEqual(result.options, {});
    assert.deepEqual(result.dynamic, {
      cpu: 'N * 2',
      image: 'image',
      tag: TEMPLATE,
      nested: '{ a: f() }',
      list: '[1, x]',
      '...rest': '...rest',
      '[k]': '1',
    });
  });

  it('keeps literal options next to dynamic ones', () => {
    const result = evaluate('{ times: 2, delay: process.env.D }');
    assert.deepEqual(result.options, { times: 2 });
    assert.deepEqual(result.dynamic, { delay: 'process.env.D' });
  });

  it('no arguments gives empty options; a non-object argument is dynamic by position', () => {
    assert.deepEqual(evaluate(''), { options: {}, dynamic: {} });
    assert.deepEqual(evaluate("3, 'x'"), { options: {}, dynamic: { '0': '3', '1': "'x'" } });
  });

  it('literalValue tells literals from expressions', () => {
    const { args } = argsOf('[1, -2, "s"], x');
    assert.deepEqual(literalValue(args[0]!), { ok: true, value: [1, -2, 's'] });
    assert.deepEqual(literalValue(args[1]!), { ok: false });
  });
});
