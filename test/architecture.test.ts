/**
 * The layering of ARCHITECTURE.md, checked: its "Where things live" table is the rule, read from the
 * document itself, so the document cannot drift from the code. Every folder of src/ has a row; every
 * import between folders is one its row allows; the folders import each other without cycles, and
 * so do the files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const SRC = path.join(ROOT, 'src');
/** The composition root (src/system.ts and other files directly in src/) as a folder of its own. */
const ROOT_FOLDER = '(root)';

interface Import {
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}

/** Relative imports and re-exports of every source file (tests and test kits excluded) under src/. */
function sourceImports(): Import[] {
  const files = fs
    .readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|tsx)$/.test(f) && !/\.test\.ts$|test-kit\.ts$/.test(f));
  const out: Import[] = [];
  const pattern = /(^|\n)\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g;
  for (const file of files) {
    const text = fs.readFileSync(path.join(SRC, file), 'utf8');
    for (const m of text.matchAll(pattern)) {
      const spec = (m[4] ?? m[5]) as string;
      const target = path.normalize(path.join(path.dirname(file), spec)).replace(/\.js$/, '.ts');
      out.push({ from: path.normalize(file), to: target, typeOnly: m[3] !== undefined });
    }
  }
  return out;
}

const folderOf = (file: string): string => (file.includes(path.sep) ? (file.split(path.sep)[0] as string) : ROOT_FOLDER);

/** ARCHITECTURE.md's table: folder → the folders it may import, or 'everything'. */
function layering(): Map<string, ReadonlySet<string> | 'everything'> {
  const doc = fs.readFileSync(path.join(ROOT, 'ARCHITECTURE.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Where things live'));
  const table = new Map<string, ReadonlySet<string> | 'everything'>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const folder = /^`src\/([a-z-]+)\/`$/.exec(cells[1] ?? '')?.[1] ?? (cells[1] === '`src/system.ts`' ? ROOT_FOLDER : undefined);
    if (folder === undefined) continue;
    const allowed = cells[3] ?? '';
    table.set(folder, allowed === 'everything' ? 'everything' : new Set([...allowed.matchAll(/`([a-z-]+)`/g)].map((m) => m[1] as string)));
  }
  return table;
}

/** Strongly connected components with more than one member (Tarjan): the cycles of a graph. */
function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, indices.get(w) as number));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return found;
}

function graphOf(edges: Iterable<readonly [string, string]>): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [a, b] of edges) {
    if (a === b) continue;
    if (!graph.has(a)) graph.set(a, new Set());
    (graph.get(a) as Set<string>).add(b);
  }
  return graph;
}

describe('the layering of ARCHITECTURE.md', () => {
  const imports = sourceImports();
  const table = layering();
  const folders = fs
    .readdirSync(SRC, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);

  it('has a row for every folder of src/, and no row for a folder that is gone', () => {
    expect([...table.keys()].filter((f) => f !== ROOT_FOLDER).sort()).toEqual([...folders].sort());
    expect(table.has(ROOT_FOLDER)).toBe(true);
  });

  it('allows every import between folders that the code makes', () => {
    const refused: string[] = [];
    for (const { from, to } of imports) {
      const a = folderOf(from);
      const b = folderOf(to);
      const allowed = table.get(a);
      if (a === b || allowed === 'everything') continue;
      if (!allowed?.has(b)) refused.push(`${from} imports ${to}: ${a}/ may not import ${b}/`);
    }
    expect(refused).toEqual([]);
  });

  it('has no cycle between folders', () => {
    const graph = graphOf(imports.map(({ from, to }) => [folderOf(from), folderOf(to)] as const));
    expect(cycles(graph)).toEqual([]);
  });

  it('has no cycle between files, type imports included', () => {
    const graph = graphOf(imports.map(({ from, to }) => [from, to] as const));
    expect(cycles(graph)).toEqual([]);
  });

  it('keeps the severity order in one table', () => {
    const copies = ['src', 'web/src']
      .flatMap((dir) => fs.readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' }).map((f) => `${dir}/${f}`))
      .filter((f) => /\.(ts|tsx)$/.test(f) && !f.endsWith('.test.ts'))
      .filter((f) =>
        /\{\s*none:\s*0,\s*low:\s*1,\s*medium:\s*2,\s*high:\s*3,\s*critical:\s*4\s*\}/.test(fs.readFileSync(path.join(ROOT, f), 'utf8')),
      );
    expect(copies).toEqual(['src/domain/severity.ts']);
  });
});
