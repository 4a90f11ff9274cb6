import { Type } from '@sinclair/typebox';
import { type Body, IsoTime, literals, Nullable, Obj } from './common.js';

export const ModelSchema = Obj(
  {
    id: Type.String(),
    kind: literals(['login', 'transaction']),
    type: Type.String(),
    version: Type.Integer(),
    active: Type.Boolean(),
    features: Type.Array(Type.String()),
    parameters: Type.Object(
      { trainedFrom: IsoTime, trainedTo: IsoTime },
      { additionalProperties: true, description: 'How it was trained: the forest’s parameters and the events’ time range.' },
    ),
    metrics: Type.Object({}, { additionalProperties: true, description: 'How well it separates: scores, threshold, sizes.' }),
    trainedAt: IsoTime,
    trainedBy: Type.String(),
    activatedAt: Nullable(IsoTime),
    activatedBy: Nullable(Type.String()),
  },
  { title: 'Model' },
);
export type Model = Body<typeof ModelSchema>;
export const ModelsSchema = Obj({ models: Type.Array(ModelSchema) }, { title: 'Models' });
export const TrainedModelsSchema = Obj(
  {
    models: Type.Array(ModelSchema),
    skipped: Type.Array(Obj({ kind: Type.String(), code: Type.String(), message: Type.String(), path: Type.Optional(Type.String()) }), {
      description: 'Kinds without enough history, and why.',
    }),
  },
  { title: 'TrainedModels' },
);
export const ActivatedModelSchema = Obj(
  { ...ModelSchema.properties, previousId: Nullable(Type.String({ description: 'The model it replaced.' })) },
  { title: 'ActivatedModel' },
);
