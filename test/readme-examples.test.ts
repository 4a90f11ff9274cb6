import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { ensureFirstPeople } from '../src/demo/first-people.js';
import { seedDemo } from '../src/demo/seed-demo.js';
import { type App, buildApp } from '../src/http/app.js';
import { createSystem, type System } from '../src/system.js';
import { sharedGeoIp, TEST_SECRET_KEY } from './support/app.js';
import { runningClock } from './support/clock.js';
import { freshDatabase, type TestDatabase } from './support/database.js';
import { ROOT } from './support/process.js';

/**
 * README.md's walk-through examples, run as a newcomer runs them: every `curl` of each ```sh block
 * that follows the marker `<!-- readme-example: demo -->`, in README order, against one fresh demo,
 * and each answer checked against the one README shows under it (`# {…}`, `# → 201 {…}`, `# 202 {…}`,
 * alternatives joined by " or "). README's examples are this test's input, so they cannot drift.
 *
 * What "shown" means: the status when one is shown, and every key whose value README writes out in
 * full (a string without "…", a number, true, false, null) found with that value in the answer. An
 * elided part ("…", `alrt_…`) matches anything; an id placeholder in a later URL (`lst_01K…`) is the
 * id of that prefix the examples last received.
 */
const MARKER = '<!-- readme-example: demo -->';
// The demo as a newcomer meets it: seeded at the time of the first start, the clock running on.
const DEMO_NOW = Date.parse('2026-11-24T12:00:00Z');

interface Step {
  readonly line: number;
  readonly command: string;
  readonly shown: string | undefined;
}

/** The marked blocks' curl commands (continuation lines joined), with the answer comment under each. */
function readmeSteps(readme: string): { steps: Step[]; variables: Map<string, string> } {
  const lines = readme.split('\n');
  const steps: Step[] = [];
  const variables = new Map<string, string>();
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== MARKER) continue;
    let j = i + 1;
    if (lines[j]?.trim() !== '```sh') throw new Error(`README line ${j + 1}: ${MARKER} must be followed by a \`\`\`sh block`);
    for (j++; j < lines.length && lines[j]?.trim() !== '```'; j++) {
      const line = lines[j] as string;
      const assignment = /^([A-Z_]+)=(\S+)/.exec(line);
      if (assignment) variables.set(assignment[1] as string, assignment[2] as string);
      if (!line.startsWith('curl ')) continue;
      const start = j;
      let command = line;
      // Lines end in \ or inside a '…' argument that spans lines (a JSON body).
      const openQuote = (c: string) => (c.match(/'/g)?.length ?? 0) % 2 === 1;
      while (command.endsWith('\\') || openQuote(command)) {
        command = command.endsWith('\\') ? `${command.slice(0, -1)} ${lines[++j]?.trim()}` : `${command}\n${lines[++j]}`;
      }
      // Answer: the comment lines right under the command.
      const comments: string[] = [];
      while (lines[j + 1]?.startsWith('# ')) comments.push((lines[++j] as string).slice(2).trim());
      const answerAt = comments.findIndex((c) => /^(→\s*)?(\d{3}\b|\{)/.test(c));
      steps.push({
        line: start + 1,
        command,
        shown: answerAt === -1 ? undefined : comments.slice(answerAt).join(' '),
      });
    }
  }
  return { steps, variables };
}

/** Shell words: '…' literal, "…" with $VAR expanded, bare words with $VAR expanded. */
function shellWords(command: string, env: Map<string, string>): string[] {
  const words: string[] = [];
  const expand = (s: string) => s.replace(/\$([A-Z_]+)/g, (_, name: string) => env.get(name) ?? `$${name}`);
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of command.matchAll(re)) {
    if (m[1] !== undefined) words.push(m[1]);
    else if (m[2] !== undefined) words.push(expand(m[2].replace(/\\(.)/g, '$1')));
    else words.push(expand(m[3] as string));
  }
  return words;
}

interface Request {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

function curlRequest(words: readonly string[]): Request {
  let method: string | undefined;
  let url: string | undefined;
  let body: string | undefined;
  const headers: Record<string, string> = {};
  for (let i = 1; i < words.length; i++) {
    const word = words[i] as string;
    if (word === '|') break; // | jq …: the check below looks through the whole answer
    if (word === '-s') continue;
    if (word === '-X') method = words[++i];
    else if (word === '-H') {
      const [name, ...value] = (words[++i] as string).split(':');
      headers[(name as string).trim().toLowerCase()] = value.join(':').trim();
    } else if (word === '-d') body = words[++i];
    else if (/^(https?:\/\/)?(127\.0\.0\.1|localhost):8080\//.test(word))
      url = word.replace(/^(https?:\/\/)?(127\.0\.0\.1|localhost):8080/, '');
    else throw new Error(`curl option the README test does not know: ${word}`);
  }
  if (url === undefined) throw new Error(`no URL in: ${words.join(' ')}`);
  return { method: method ?? (body === undefined ? 'GET' : 'POST'), url, headers, body };
}

/** Does `answer` hold `key` with `value` at any depth? */
function holds(answer: unknown, key: string, value: unknown): boolean {
  if (Array.isArray(answer)) return answer.some((a) => holds(a, key, value));
  if (answer === null || typeof answer !== 'object') return false;
  return Object.entries(answer).some(([k, v]) => (k === key && Object.is(v, value)) || holds(v, key, value));
}

/** Why an answer does not match one shown alternative; undefined when it does. */
function mismatch(status: number, answer: unknown, shown: string): string | undefined {
  const statusShown = /^(?:→\s*)?(\d{3})\b/.exec(shown);
  if (statusShown && Number(statusShown[1]) !== status) return `status ${status}, README shows ${statusShown[1]}`;
  if (!statusShown && status >= 400) return `status ${status}, README shows a success`;
  const code = /^(?:→\s*)?\d{3}\s+([a-z_]+)\b/.exec(shown);
  if (code && !holds(answer, 'code', code[1])) return `error code is not ${code[1]}`;
  for (const m of shown.matchAll(/"(\w+)":\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)/g)) {
    if (m[2]?.includes('…')) continue;
    const value: unknown = JSON.parse(m[2] as string);
    if (!holds(answer, m[1] as string, value)) return `no "${m[1]}": ${m[2]} in the answer`;
  }
  return undefined;
}

let db: TestDatabase;
let system: System;
let app: App;
const keys = new Map<string, string>();

beforeAll(async () => {
  db = await freshDatabase();
  const quiet = { info() {}, warn() {}, error() {} };
  system = await createSystem(loadConfig({ VIGIL_DATABASE_URL: db.url, VIGIL_DEMO: 'true', VIGIL_SECRET_KEY: TEST_SECRET_KEY }), {
    geoIp: await sharedGeoIp(),
    logger: quiet,
    clock: runningClock(DEMO_NOW),
  });
  app = await buildApp(system, { checkResponses: true });
  // The demo prints its keys once, as on a first `npm start`: read them from there.
  const printed: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => printed.push(String(chunk)) > 0) as typeof process.stdout.write;
  try {
    await seedDemo(system, quiet as never);
    await ensureFirstPeople(system);
    await system.accountService.settled();
  } finally {
    process.stdout.write = write;
  }
  const text = printed.join('');
  keys.set('ingest', /ingest key: (vgl_\S+)/.exec(text)?.[1] as string);
  keys.set('admin', /admin key: +(vgl_\S+)/.exec(text)?.[1] as string);
}, 120_000);
afterAll(async () => {
  await app?.close();
  await system?.close();
  await db?.drop();
});

describe("README's examples on a fresh demo", () => {
  it('answer what README shows, request by request', { timeout: 120_000 }, async () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const { steps, variables } = readmeSteps(readme);
    expect(steps.length).toBeGreaterThanOrEqual(7);
    // $KEY=vgl_ingest_… and the like: the demo's key of that role.
    const env = new Map<string, string>();
    for (const [name, value] of variables) {
      if (value.startsWith('vgl_ingest_')) env.set(name, keys.get('ingest') as string);
      if (value.startsWith('vgl_admin_')) env.set(name, keys.get('admin') as string);
    }
    env.set('INGEST', env.get('INGEST') ?? (keys.get('ingest') as string));
    env.set('ADMIN', env.get('ADMIN') ?? (keys.get('admin') as string));
    const lastIds = new Map<string, string>();
    const failures: string[] = [];
    for (const step of steps) {
      const request = curlRequest(shellWords(step.command, env));
      const url = request.url.replace(/\b([a-z]+)_[0-9A-Z]*…/g, (placeholder, prefix: string) => lastIds.get(prefix) ?? placeholder);
      const res = await app.inject({
        method: request.method as 'GET',
        url,
        headers: request.headers,
        ...(request.body !== undefined && { payload: request.body }),
      });
      const answer: unknown = res.body.length > 0 ? res.json() : undefined;
      for (const id of res.body.matchAll(/"([a-z]+)_[0-9A-Za-z]{10,}"/g))
        lastIds.set((id[1] as string).split('_')[0] as string, id[0].slice(1, -1));
      if (res.statusCode >= 500) failures.push(`README line ${step.line}: ${res.statusCode} ${res.body}`);
      if (step.shown === undefined) continue;
      const problems = step.shown.split(/\s+or\s+/).map((alternative) => mismatch(res.statusCode, answer, alternative));
      if (problems.every((p) => p !== undefined))
        failures.push(`README line ${step.line}: ${problems[0]}\n  answer: ${res.statusCode} ${res.body.slice(0, 1200)}`);
    }
    expect(failures).toEqual([]);
  });
});
