import type { FastifyRequest } from 'fastify';
import { actorOfPerson } from '../auth/people.js';
import type { Problem } from '../core/errors.js';
import { parseTimestamp } from '../core/timestamp.js';

/** Who did it, for audit fields: the API key's name and id (never its secret), or the signed-in person. */
export function actorOf(request: FastifyRequest): string {
  const key = request.apiKey;
  if (key) return `${key.name} (${key.id})`;
  const person = request.signedIn?.person;
  return person ? actorOfPerson(person) : 'anonymous';
}

/** Splits `a,b,c` query values, trimming and dropping empties. */
export function listParam(value: string | undefined): string[] {
  return (
    value
      ?.split(',')
      .map((v) => v.trim())
      .filter(Boolean) ?? []
  );
}

/** Opaque cursor over (time, id). */
export function encodeCursor(at: number, id: string): string {
  return Buffer.from(`${at}:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { at: number; id: string } | undefined {
  const match = /^(\d{1,16}):(.{1,128})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? { at: Number(match[1]), id: match[2] as string } : undefined;
}

/**
 * The `cursor` query parameter of a keyset-paginated list: nothing for the first page, the position
 * after which the next page starts, or the problem with a cursor this API did not make.
 */
export function readCursor(cursor: string | undefined): { readonly after?: { at: number; id: string } } | Problem {
  if (cursor === undefined) return {};
  const after = decodeCursor(cursor);
  return after ? { after } : { code: 'invalid_cursor', message: 'cursor is not one this API returned.', path: '/cursor' };
}

/**
 * One page of a list read with `limit + 1` rows: the rows to show, and the cursor of the next page
 * (from the last row shown's time and id) when there was one more row.
 */
export function pageOf<T>(
  rows: readonly T[],
  limit: number,
  keyOf: (row: T) => readonly [number, string],
): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  if (rows.length <= limit || last === undefined) return { page, nextCursor: null };
  const [at, id] = keyOf(last);
  return { page, nextCursor: encodeCursor(at, id) };
}

/** `from` / `to` query parameters as epoch ms, or the problem with the first bad one. */
export function parseTimeBounds(q: { from?: string | undefined; to?: string | undefined }): { from?: number; to?: number } | Problem {
  const bounds: { from?: number; to?: number } = {};
  for (const name of ['from', 'to'] as const) {
    const raw = q[name];
    if (raw === undefined) continue;
    const ms = parseTimestamp(raw);
    if (ms === undefined) {
      return { code: 'invalid_query', message: `${name} "${raw}" is not an ISO 8601 date-time with a time zone.`, path: `/${name}` };
    }
    bounds[name] = ms;
  }
  return bounds;
}

/**
 * Whose things these are (saved views): the signed-in person's id, or the API key's. Never taken
 * from the request's parameters, so no caller can name another's.
 */
export function ownerOf(request: FastifyRequest): string {
  const person = request.signedIn?.person;
  if (person) return person.id;
  const key = request.apiKey;
  return key ? `key:${key.id}` : 'anonymous';
}
