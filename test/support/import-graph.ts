import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The modules a file loads, read from its source with TypeScript's parser: a second reading of the
 * import graph, independent of Vite's (which vitest's selection of CI's PostgreSQL leg uses), to check
 * that selection against (scripts/test-legs.ts).
 *
 * Followed: relative `import … from`, `import '…'`, `export … from` and `import('…')` with a literal
 * specifier. Not followed: packages (node_modules; they never read the suite's variables), `import type`
 * and `export type` (erased, nothing runs). `import { type A }` is followed: under verbatimModuleSyntax
 * the module is still loaded.
 */
export class ImportGraph {
  private readonly imports = new Map<string, readonly string[]>();

  /** Absolute paths of the modules `file` loads directly. */
  importsOf(file: string): readonly string[] {
    let found = this.imports.get(file);
    if (found === undefined) {
      found = readImports(file);
      this.imports.set(file, found);
    }
    return found;
  }

  /** Every module `file` loads, directly or through others, `file` itself excluded. */
  reachableFrom(file: string): ReadonlySet<string> {
    const seen = new Set<string>();
    const pending = [...this.importsOf(file)];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      if (seen.has(next)) continue;
      seen.add(next);
      pending.push(...this.importsOf(next));
    }
    seen.delete(file);
    return seen;
  }

  /** Whether `file` is one of `targets` or loads one of them, directly or through others. */
  reaches(file: string, targets: ReadonlySet<string>): boolean {
    if (targets.has(file)) return true;
    for (const module of this.reachableFrom(file)) if (targets.has(module)) return true;
    return false;
  }
}

function readImports(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const specifiers: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier)) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteralLike(argument)) specifiers.push(argument.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  const resolved: string[] = [];
  for (const specifier of specifiers) {
    if (!specifier.startsWith('./') && !specifier.startsWith('../')) continue;
    const target = resolveRelative(path.resolve(path.dirname(file), specifier));
    if (target !== undefined) resolved.push(target);
  }
  return resolved;
}

/** NodeNext spelling: `./x.js` names `./x.ts` (or `.tsx`); a folder names its index. */
function resolveRelative(base: string): string | undefined {
  const stem = base.replace(/\.(c|m)?js$/, '');
  const candidates = [base, `${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, `${stem}.cts`, path.join(base, 'index.ts')];
  return candidates.find((candidate) => fs.existsSync(candidate) && fs.statSync(candidate).isFile());
}
