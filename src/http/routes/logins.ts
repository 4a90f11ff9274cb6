import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { charsetOf, decodeText } from '../../core/text-encoding.js';
import { parseContamination } from '../../logins/login-scoring.js';
import { presentUpload } from '../../logins/login-scoring-service.js';
import type { System } from '../../system.js';
import { sendProblem } from '../errors.js';
import { actorOf, pageOf, readCursor } from '../request-helpers.js';
import { FlaggedLoginsPageSchema, LoginUploadResultSchema } from '../schemas/index.js';
import { presentFlaggedLogin } from '../schemas/present.js';
import type { VigilTypeProvider } from '../type-provider.js';

const CSV_TYPES = ['text/csv', 'application/csv'];

/** Login-activity files (seed 003): score an upload, list the logins flagged so far. Admin only. */
export function loginRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    // Read as text within the body limit (VIGIL_BODY_LIMIT_BYTES; 413 beyond): the forest is fitted
    // on the whole file, so it is in memory anyway. Registered in this plugin only.
    // Kept as bytes here and decoded by the charset the client declares (core/text-encoding.ts).
    app.addContentTypeParser(CSV_TYPES, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    const typed = app.withTypeProvider<VigilTypeProvider>();

    typed.post(
      '/v1/logins/score',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Score a login-activity CSV with an Isolation Forest; store and email the flagged logins',
          description:
            'The body is a CSV file (Content-Type: text/csv; UTF-8 unless a charset of iso-8859-1, iso-8859-15 or windows-1252 is declared) with a header row: user_id and timestamp are required (with common ' +
            'aliases: user, username, time, datetime…), ip_address, location (or country) and device_type are used when present, ' +
            'any other column becomes a numeric or frequency-encoded feature. A seeded Isolation Forest is fitted on the rows of ' +
            'the file and scores each: anomaly_score is s(x) in (0, 1] (about 0.5 ordinary, towards 1 isolated). With ' +
            'contamination=auto (the default, as scikit-learn) rows with s(x) > 0.5 are flagged; with a share such as 0.05, the ' +
            'rows above that quantile. Flagged logins are stored once each (by content hash) and the admins ' +
            '(VIGIL_ADMIN_ALERT_EMAILS) get an email with the new ones and a CSV attachment.',
          tags: ['logins'],
          consumes: CSV_TYPES,
          querystring: Type.Object({
            contamination: Type.Optional(
              Type.String({
                maxLength: 32,
                description: '`auto` (default: s(x) > 0.5) or the share of rows to flag, e.g. 0.05 (at most 0.5).',
              }),
            ),
            only: Type.Optional(
              Type.Union([Type.Literal('flagged'), Type.Literal('all')], {
                description: '`flagged` lists only flagged rows in `results`.',
              }),
            ),
          }),
          response: { 200: LoginUploadResultSchema },
        },
      },
      async (request, reply) => {
        const contamination = parseContamination(request.query.contamination);
        if (!contamination.ok) return sendProblem(reply, { ...contamination.error, path: '/contamination' });
        if (!Buffer.isBuffer(request.body)) {
          return sendProblem(reply, {
            code: 'unsupported_media_type',
            message: `Send the login file as ${CSV_TYPES.join(' or ')}.`,
          });
        }
        const text = decodeText(request.body, charsetOf(request.headers['content-type']));
        if (!text.ok) return sendProblem(reply, text.error);
        const upload = await system.logins.scoreCsv(text.value, { contamination: contamination.value, actor: actorOf(request) });
        if (!upload.ok) return sendProblem(reply, upload.error);
        return presentUpload(upload.value, { only: request.query.only ?? 'all' });
      },
    );

    typed.get(
      '/v1/logins/flagged',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Logins flagged in uploaded files, newest first, each stored once however often it was uploaded',
          tags: ['logins'],
          querystring: Type.Object({
            user: Type.Optional(Type.String({ maxLength: 256, description: 'Only this user’s logins.' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 400 })),
          }),
          response: { 200: FlaggedLoginsPageSchema },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const cursor = readCursor(q.cursor);
        if ('code' in cursor) return sendProblem(reply, cursor);
        const after = cursor.after;
        const limit = q.limit ?? 50;
        const rows = await system.logins.listFlagged({
          ...(q.user !== undefined && { user: q.user }),
          limit: limit + 1,
          ...(after && { after: { flaggedAt: after.at, id: after.id } }),
        });
        const { page, nextCursor } = pageOf(rows, limit, (r) => [r.flaggedAt, r.id]);
        return {
          logins: page.map(presentFlaggedLogin),
          nextCursor,
        };
      },
    );
  };
}
