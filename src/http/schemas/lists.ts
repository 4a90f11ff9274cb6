import { Type } from '@sinclair/typebox';
import { LIST_KINDS, LIST_NAMES } from '../../domain/vocabulary.js';
import { type Body, IsoTime, literals, Nullable, Obj } from './common.js';

export const ListNameSchema = literals(LIST_NAMES);
export type ListName = Body<typeof ListNameSchema>;
export const ListKindSchema = literals(LIST_KINDS);
export type ListKind = Body<typeof ListKindSchema>;

export const ListEntrySchema = Obj(
  {
    id: Type.String(),
    list: ListNameSchema,
    kind: ListKindSchema,
    value: Type.String(),
    reason: Type.String(),
    rules: Type.Array(Type.String(), { description: 'Allow entries: the rules it stops; empty for every rule.' }),
    createdBy: Type.String(),
    createdAt: IsoTime,
    expiresAt: Nullable(IsoTime),
    expired: Type.Boolean(),
  },
  { title: 'ListEntry' },
);
export type ListEntry = Body<typeof ListEntrySchema>;
export const ListEntriesSchema = Obj({ entries: Type.Array(ListEntrySchema) }, { title: 'ListEntries' });
