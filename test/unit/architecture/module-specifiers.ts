import ts from 'typescript';

export interface SourceText {
  /** Absolute path; relative specifiers are resolved against its folder. */
  readonly path: string;
  readonly text: string;
}

/** `import … from`, `export … from`, `import x = require()`, `import()` and `import('…').Type`. */
export function moduleSpecifierOf(node: ts.Node): string | undefined {
  if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
    return ts.isStringLiteral(node.moduleSpecifier) ? node.moduleSpecifier.text : undefined;
  }
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
    const expression = node.moduleReference.expression;
    return ts.isStringLiteral(expression) ? expression.text : undefined;
  }
  if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
    const [argument] = node.arguments;
    // A computed specifier cannot be checked, so it is reported as it is written.
    return argument && ts.isStringLiteralLike(argument) ? argument.text : (argument?.getText() ?? '');
  }
  if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
    return node.argument.literal.text;
  }
  return undefined;
}

export interface ModuleReference {
  /** 1-based. */
  readonly line: number;
  readonly specifier: string;
  /** An `import()` of an expression: the module it loads cannot be known here. */
  readonly computed: boolean;
}

/** Every module a file names, in any of the forms above. */
export function moduleSpecifiers(file: SourceText): ModuleReference[] {
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: ModuleReference[] = [];
  const visit = (node: ts.Node): void => {
    const specifier = moduleSpecifierOf(node);
    if (specifier !== undefined) {
      const computed = ts.isCallExpression(node) && !(node.arguments[0] && ts.isStringLiteralLike(node.arguments[0]));
      found.push({ line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, specifier, computed });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}
