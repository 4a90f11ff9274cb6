// Bundles the compiled command line (dist/cli/main.js, and every module of Vigil's own it imports,
// with Kysely and TypeBox) into that file, in place, and a few chunks beside it: what a command
// imports only when it runs (the server, the distributed mode, each other command) is a chunk of its
// own, so that `vigil --version` still loads none of the server. Node's ES module loader costs about
// a millisecond per module, and the server's start imported some 800 of them (Vigil's own about 290,
// Kysely's and TypeBox's about 250 each) before it could answer; it now loads a few dozen files. The
// other packages stay external: mostly CommonJS (which Node loads faster) or a few files each, and
// some of them hold native code or read files beside themselves.
//
// Each bundled module keeps its own `import.meta.url`, rewritten to the URL of its compiled file
// under dist/: the worker threads (writer.cjs, the upload scorer), the dashboard's folder and
// package.json are found beside the files tsc wrote, which stay where they are.
//
// Run by `npm run build:server`, after tsc.
import fs from 'node:fs';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
const entry = path.join(dist, 'cli', 'main.js');
/** Packages bundled in: pure ES modules of many small files each. */
const BUNDLED_PACKAGES = ['kysely', '@sinclair/typebox'];

// The bundle replaces tsc's main.js: bundling it again would bundle the bundle, and its chunks.
if (/from ["']\.\/bundle-/.test(fs.readFileSync(entry, 'utf8')))
  throw new Error(`${path.relative(root, entry)} is bundled already: run \`npm run build:server\`, which compiles it first.`);

/** The names of the classes the bundle's modules declare: the bundle may give a class no other. */
const declaredClasses = new Set<string>();
const noteClasses = (source: string) => {
  for (const m of source.matchAll(/\bclass\s+([A-Za-z_$][\w$]*)/g)) declaredClasses.add(m[1] as string);
};

const bundledOrExternal: Plugin = {
  name: 'vigil-bundle',
  setup(b) {
    // Bare specifiers are packages: external unless listed.
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      const bundled = BUNDLED_PACKAGES.some((name) => args.path === name || args.path.startsWith(`${name}/`));
      return bundled ? undefined : { path: args.path, external: true };
    });
    // The bundled packages' modules, read as they are, for the names of their classes.
    b.onLoad({ filter: /[\\/]node_modules[\\/](kysely|@sinclair[\\/]typebox)[\\/].*\.m?js$/ }, async (args) => {
      const contents = await fs.promises.readFile(args.path, 'utf8');
      noteClasses(contents);
      return { contents, loader: 'js' };
    });
    // Vigil's own modules: each `import.meta.url` becomes its compiled file's URL, relative to the
    // bundle's own (which is the entry's place, dist/cli/main.js).
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(dist + path.sep)) return undefined;
      const source = await fs.promises.readFile(args.path, 'utf8');
      // Only `url` is rewritten: `import.meta.dirname` and the like would silently name dist/cli.
      const other = /import\.meta\.(?!url\b)\w+/.exec(source);
      if (other) throw new Error(`${path.relative(root, args.path)} uses ${other[0]}: use import.meta.url, which the bundle keeps`);
      noteClasses(source);
      let relative = path.relative(path.dirname(entry), args.path).split(path.sep).join('/');
      if (!relative.startsWith('.')) relative = `./${relative}`;
      return {
        contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(relative)}, import.meta.url).href`),
        loader: 'js',
      };
    });
  },
};

const result = await build({
  entryPoints: [entry],
  bundle: true,
  splitting: true,
  write: false,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Not `keepNames`: it would wrap every named closure in a call that sets its name, on the hot paths
  // too (closures made per event). Only top-level names that collide across modules are renamed
  // (`trim2`); a class is not (checked below: pino logs an error's class name), and under
  // `node --enable-source-maps` stack traces get the names of src/ back from the source maps.
  sourcemap: 'linked',
  outdir: path.dirname(entry),
  entryNames: '[name]',
  // Beside the entry: each chunk's modules find their files by the same relative paths.
  chunkNames: 'bundle-[hash]',
  plugins: [bundledOrExternal],
  logLevel: 'warning',
});
// A class renamed for a collision (`var Problem2 = class …`) would change the name its errors log.
for (const file of result.outputFiles) {
  for (const m of file.text.matchAll(/\b(?:var|let|const) ([A-Za-z_$][\w$]*) = class\b/g)) {
    const name = m[1] as string;
    if (!declaredClasses.has(name)) throw new Error(`the bundle renamed a class to ${name} (a name used twice): rename one of them`);
  }
}
const cli = path.dirname(entry);
for (const old of fs.readdirSync(cli)) if (old.startsWith('bundle-')) fs.rmSync(path.join(cli, old));
for (const file of result.outputFiles) fs.writeFileSync(file.path, file.contents);
