import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(import.meta.dirname, '..');
const SERVER_SOURCE = path.join(import.meta.dirname, 'ablation-server.ts');

/**
 * bench/ablation-server.ts as plain JavaScript, run by node without tsx: under tsx every stack trace
 * is mapped through source maps and module loading goes through its hooks' thread, which cost the
 * server's main thread more than whole parts of Vigil do. Written into dist/ so that the server's
 * bare imports (prom-client) resolve from this checkout's node_modules.
 */
export function ablationServer(): string {
  const file = path.join(ROOT, 'dist', 'bench-ablation-server.mjs');
  if (!existsSync(file) || statSync(file).mtimeMs < statSync(SERVER_SOURCE).mtimeMs) {
    const source = readFileSync(SERVER_SOURCE, 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: SERVER_SOURCE,
    });
    writeFileSync(file, outputText);
  }
  return file;
}
