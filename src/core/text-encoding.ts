import type { Problem } from './errors.js';
import { err, ok, type Result } from './result.js';

/**
 * Charsets a text upload may declare in its Content-Type, by their WHATWG labels. Spreadsheets
 * exported on Windows are often windows-1252 or latin-1; anything else is refused rather than
 * guessed.
 */
const CHARSETS = new Map<string, string>([
  ['utf-8', 'utf-8'],
  ['utf8', 'utf-8'],
  ['iso-8859-1', 'windows-1252'],
  ['latin1', 'windows-1252'],
  ['l1', 'windows-1252'],
  ['iso-8859-15', 'iso-8859-15'],
  ['windows-1252', 'windows-1252'],
  ['cp1252', 'windows-1252'],
]);

/** The charset a Content-Type header declares, if any. */
export function charsetOf(contentType: string | undefined): string | undefined {
  return /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1];
}

/**
 * Decodes an uploaded text file by the charset declared (UTF-8 when none). Bytes that are not valid
 * in that charset are refused with the line they are on, never replaced by U+FFFD in silence: a user
 * id with a replaced character is another user. (As browsers do, ISO-8859-1 is read as
 * windows-1252, its superset.) A UTF-8 byte order mark is dropped.
 */
export function decodeText(body: Uint8Array, charset: string | undefined): Result<string, Problem> {
  const declared = (charset ?? 'utf-8').toLowerCase();
  const encoding = CHARSETS.get(declared);
  if (encoding === undefined) {
    return err({
      code: 'unsupported_media_type',
      message: `charset=${declared.slice(0, 40)} is not supported: send UTF-8, ISO-8859-1, ISO-8859-15 or windows-1252.`,
    });
  }
  try {
    return ok(new TextDecoder(encoding, { fatal: true }).decode(body));
  } catch {
    const line = firstUndecodableLine(body, encoding);
    return err({
      code: 'invalid_encoding',
      message: `Line ${line} is not valid ${encoding.toUpperCase()}: save the file as UTF-8, or declare its charset in Content-Type (for example text/csv; charset=iso-8859-1).`,
      line,
    });
  }
}

function firstUndecodableLine(body: Uint8Array, encoding: string): number {
  const decoder = new TextDecoder(encoding, { fatal: true });
  let line = 1;
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf(0x0a, start);
    if (end === -1) end = body.length;
    try {
      decoder.decode(body.subarray(start, end));
    } catch {
      return line;
    }
    line++;
    start = end + 1;
  }
  return line - 1;
}
