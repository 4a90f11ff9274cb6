import { Type } from '@sinclair/typebox';
import { type Body, Obj } from './common.js';

/** `{ error: { code, message, path?, line?, requestId, errors? } }`, the body of every failed request. */
export const ProblemSchema = Obj(
  {
    error: Obj({
      code: Type.String(),
      message: Type.String(),
      path: Type.Optional(Type.String({ description: 'JSON pointer to the field at fault.' })),
      line: Type.Optional(Type.Integer({ description: 'The line of an uploaded file the problem is on.' })),
      requestId: Type.String(),
      errors: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'Every item at fault, by index.' })),
    }),
  },
  { title: 'Error' },
);
export type Problem = Body<typeof ProblemSchema>;
