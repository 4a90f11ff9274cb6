import { describe, expect, it } from 'vitest';
import { readLines } from './ndjson.js';

async function collect(chunks: string[], max = 100) {
  async function* source() {
    for (const c of chunks) yield Buffer.from(c);
  }
  const out = [];
  for await (const l of readLines(source(), max)) out.push(l);
  return out;
}

describe('readLines', () => {
  it('splits lines across chunk boundaries and numbers them from 1', async () => {
    const lines = await collect(['{"a":1}\n{"b"', ':2}\r\n\n{"c":3}']);
    expect(lines.map((l) => [l.line, l.text])).toEqual([
      [1, '{"a":1}'],
      [2, '{"b":2}'],
      [3, ''],
      [4, '{"c":3}'],
    ]);
  });

  it('keeps multi-byte characters split between chunks intact', async () => {
    const bytes = Buffer.from('{"city":"Zürich"}\n');
    async function* source() {
      yield bytes.subarray(0, 12);
      yield bytes.subarray(12);
    }
    const out = [];
    for await (const l of readLines(source(), 100)) out.push(l.text);
    expect(out).toEqual(['{"city":"Zürich"}']);
  });

  it('reports an over-long line without buffering it, and goes on', async () => {
    const lines = await collect([`${'x'.repeat(60)}`, `${'y'.repeat(60)}\nok\n`], 100);
    expect(lines).toEqual([
      { line: 1, text: '', tooLong: true },
      { line: 2, text: 'ok', tooLong: false },
    ]);
  });
});
