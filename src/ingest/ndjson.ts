import { StringDecoder } from 'node:string_decoder';

export interface TextLine {
  /** 1-based line number in the stream. */
  readonly line: number;
  readonly text: string;
  /** True when the line was longer than the limit and was cut; its text is then empty. */
  readonly tooLong: boolean;
}

/**
 * Splits a byte stream into lines without ever holding more than one line and one chunk, so an
 * NDJSON stream of any length is processed in bounded memory. A line over `maxLineLength` characters is reported
 * (not buffered) and skipped.
 */
export async function* readLines(source: AsyncIterable<Buffer | string>, maxLineLength: number): AsyncGenerator<TextLine> {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let overflow = false;
  let line = 0;
  const emit = (text: string): TextLine => {
    line++;
    const cut = overflow || text.length > maxLineLength;
    overflow = false;
    return { line, text: cut ? '' : text.endsWith('\r') ? text.slice(0, -1) : text, tooLong: cut };
  };
  for await (const chunk of source) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let start = 0;
    let newline = text.indexOf('\n', start);
    while (newline !== -1) {
      yield emit(partial + text.slice(start, newline));
      partial = '';
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    partial += text.slice(start);
    if (partial.length > maxLineLength) {
      overflow = true;
      partial = '';
    }
  }
  partial += decoder.end();
  if (partial.length > 0 || overflow) yield emit(partial);
}
