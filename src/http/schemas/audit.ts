import { Type } from '@sinclair/typebox';
import { type Body, IsoTime, JsonObject, literals, NextCursor, Nullable, Obj } from './common.js';

export const AuditEntrySchema = Obj(
  {
    seq: Type.Integer(),
    at: IsoTime,
    atMs: Type.Integer({ description: 'The same time in epoch ms, as hashed.' }),
    actor: Type.String(),
    action: Type.String({ description: 'One of the audit actions (the filter of GET /v1/audit lists them).' }),
    subject: Type.String(),
    details: JsonObject,
    prevHash: Type.String(),
    hash: Type.String(),
  },
  { title: 'AuditEntry' },
);
export type AuditEntry = Body<typeof AuditEntrySchema>;
export const AuditPageSchema = Obj({ entries: Type.Array(AuditEntrySchema), nextCursor: NextCursor }, { title: 'AuditPage' });
export type AuditPage = Body<typeof AuditPageSchema>;

export const AuditVerifySchema = Type.Union(
  [
    Obj({
      ok: Type.Literal(true),
      entries: Type.Integer(),
      head: Nullable(Obj({ seq: Type.Integer(), hash: Type.String() })),
    }),
    Obj({
      ok: Type.Literal(false),
      entries: Type.Integer(),
      broken: Obj({ seq: Type.Integer(), reason: literals(['hash mismatch', 'chain break', 'gap']) }),
    }),
  ],
  { title: 'AuditVerify' },
);
export type AuditVerify = Body<typeof AuditVerifySchema>;
