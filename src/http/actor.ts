import type { FastifyRequest } from 'fastify';

/** Who did it, for audit fields: the API key's name and id (never its secret). */
export function actorOf(request: FastifyRequest): string {
  const key = request.apiKey;
  return key ? `${key.name} (${key.id})` : 'anonymous';
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
