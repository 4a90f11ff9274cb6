import { type ParseError, parse as tolerantParse } from 'jsonc-parser';
import secureJson from 'secure-json-parse';
import type { ErrorCode, Problem } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';

/**
 * Parses JSON text, refusing `__proto__` and `constructor.prototype` keys (prototype poisoning).
 * On a syntax error the problem names the line and column, found by a tolerant parser that is only
 * run on that slow path.
 */
export function parseJson(text: string, code: ErrorCode = 'invalid_json', firstLine = 1): Result<unknown, Problem> {
  try {
    return ok(secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message.includes('forbidden prototype property')) {
      return err({ code, message: 'JSON with __proto__ or constructor.prototype keys is refused.', line: firstLine });
    }
    // A hostile nesting can overflow the stack of the parser, or of the tolerant one below: that is
    // the client's JSON, not a server failure.
    const where = error instanceof RangeError ? undefined : locateSyntaxError(text);
    if (where === undefined) return err({ code, message: TOO_DEEP, line: firstLine });
    return err({
      code,
      message:
        text.trim().length === 0
          ? 'The body is empty; expected JSON.'
          : `Malformed JSON at line ${where.line + firstLine - 1}, column ${where.column}.`,
      line: where.line + firstLine - 1,
    });
  }
}

/** The message for JSON whose nesting overflows a parser; stream-ingest passes it through as it is. */
export const TOO_DEEP = 'JSON is nested too deeply.';

function locateSyntaxError(text: string): { line: number; column: number } | undefined {
  const errors: ParseError[] = [];
  try {
    tolerantParse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
  const offset = errors[0]?.offset ?? text.length;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
