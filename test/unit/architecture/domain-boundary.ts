import { isAbsolute, relative, resolve, dirname } from 'node:path';
import ts from 'typescript';
import { moduleSpecifierOf, type SourceText } from './module-specifiers.js';

export type { SourceText } from './module-specifiers.js';

export interface BoundaryViolation {
  readonly path: string;
  /** 1-based. */
  readonly line: number;
  readonly rule: 'outward-import' | 'non-determinism';
  /** The offending specifier, or the offending expression as written. */
  readonly subject: string;
}

const ALLOWED_PACKAGE = /^zod(\/|$)/;

/**
 * What DESIGN.md ("Layers") asks of src/domain: it imports nothing but itself and zod, and it reads
 * neither the clock nor a random source (time and ids come in as arguments).
 */
export function findBoundaryViolations(files: readonly SourceText[], domainRoot: string): BoundaryViolation[] {
  return files.flatMap((file) => checkFile(file, resolve(domainRoot)));
}

function checkFile(file: SourceText, domainRoot: string): BoundaryViolation[] {
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const violations: BoundaryViolation[] = [];
  const report = (node: ts.Node, rule: BoundaryViolation['rule'], subject: string) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    violations.push({ path: file.path, line: line + 1, rule, subject });
  };
  const checkSpecifier = (node: ts.Node, specifier: string) => {
    if (!isInsideDomain(specifier, file.path, domainRoot)) report(node, 'outward-import', specifier);
  };

  const visit = (node: ts.Node): void => {
    const specifier = moduleSpecifierOf(node);
    if (specifier !== undefined) checkSpecifier(node, specifier);
    if (readsClockOrRandom(node)) report(node, 'non-determinism', node.getText(source));
    ts.forEachChild(node, visit);
  };
  visit(source);
  return violations;
}

function isInsideDomain(specifier: string, importer: string, domainRoot: string): boolean {
  if (ALLOWED_PACKAGE.test(specifier)) return true;
  if (specifier !== '.' && specifier !== '..' && !specifier.startsWith('./') && !specifier.startsWith('../')) {
    return false;
  }
  const fromRoot = relative(domainRoot, resolve(dirname(importer), specifier));
  return fromRoot !== '..' && !fromRoot.startsWith('../') && !isAbsolute(fromRoot);
}

/** `new Date()`, `Date()`, `Date.now()`, `Math.random()`, `randomUUID()` and `x.randomUUID()`. */
function readsClockOrRandom(node: ts.Node): boolean {
  if (ts.isNewExpression(node)) {
    return isIdentifier(node.expression, 'Date') && (node.arguments?.length ?? 0) === 0;
  }
  if (!ts.isCallExpression(node)) return false;
  const callee = node.expression;
  if (ts.isIdentifier(callee)) return callee.text === 'Date' || callee.text === 'randomUUID';
  if (!ts.isPropertyAccessExpression(callee)) return false;
  const property = callee.name.text;
  return (
    (isIdentifier(callee.expression, 'Date') && property === 'now') ||
    (isIdentifier(callee.expression, 'Math') && property === 'random') ||
    property === 'randomUUID'
  );
}

function isIdentifier(node: ts.Node, name: string): boolean {
  return ts.isIdentifier(node) && node.text === name;
}
