/**
 * The top of a V8 CPU profile (`--cpu-prof`, or the inspector's Profiler): self time by function,
 * the flame graph's widest leaves, so that each bench run says where the main thread's time went
 * without opening DevTools. `node --import tsx bench/profile-summary.ts FILE.cpuprofile` prints one.
 */
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface SelfTimeEntry {
  /** Function name and where it lives (path relative to the checkout, or node's own module). */
  readonly name: string;
  readonly selfMs: number;
  /** Share of all sampled time, idle included, in percent with one decimal. */
  readonly percent: number;
}

const ROOT = path.resolve(import.meta.dirname, '..');

/** Where a frame comes from, short: `src/ingest/x.js:12`, `node:internal/…`, or `(native)`. */
function location(frame: ProfileNode['callFrame']): string {
  if (frame.url === '') return '';
  let where = frame.url.startsWith('file://') ? frame.url.slice('file://'.length) : frame.url;
  if (where.startsWith(ROOT)) where = where.slice(ROOT.length + 1);
  const modules = where.lastIndexOf('node_modules/');
  if (modules >= 0) where = where.slice(modules + 'node_modules/'.length);
  return `${where}:${frame.lineNumber + 1}`;
}

/** Self time per function (frames of the same function and place summed), largest first. */
export function selfTimeByFunction(profile: CpuProfile, top = 25): SelfTimeEntry[] {
  const nodeById = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let totalUs = 0;
  for (let i = 0; i < samples.length; i++) {
    // A sample's time is the delta to the next one (the last sample has none).
    const us = Math.max(0, deltas[i + 1] ?? 0);
    const id = samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + us);
    totalUs += us;
  }
  const byName = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = nodeById.get(id)?.callFrame;
    if (!frame) continue;
    const where = location(frame);
    const name = `${frame.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    byName.set(name, (byName.get(name) ?? 0) + us);
  }
  return [...byName.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, selfMs: Math.round(us / 100) / 10, percent: totalUs > 0 ? Math.round((1000 * us) / totalUs) / 10 : 0 }));
}

/** The entries as lines for a report. */
export function formatSelfTime(title: string, entries: readonly SelfTimeEntry[]): string {
  const lines = [title];
  for (const e of entries) lines.push(`  ${`${e.percent.toFixed(1)}%`.padStart(6)} ${`${e.selfMs.toFixed(0)} ms`.padStart(9)}  ${e.name}`);
  return lines.join('\n');
}

/** The newest `.cpuprofile` in `dir`, or undefined. */
export function newestProfile(dir: string): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f));
  return files.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: bench/profile-summary.ts FILE.cpuprofile [TOP]');
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  console.log(formatSelfTime(`self time by function, ${file}`, selfTimeByFunction(profile, Number(process.argv[3] ?? 30))));
}
