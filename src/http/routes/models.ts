import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { MODEL_KINDS } from '../../anomaly/model-kinds.js';
import { presentModel } from '../../anomaly/model-record.js';
import type { Problem } from '../../core/errors.js';
import { DEFAULT_TRAINING_DAYS, trainAndStore } from '../../detect/model-trainer.js';
import type { System } from '../../system.js';
import { sendProblem } from '../errors.js';
import { actorOf } from '../request-helpers.js';
import { ActivatedModelSchema, ModelsSchema, TrainedModelsSchema } from '../schemas/index.js';
import type { VigilTypeProvider } from '../type-provider.js';

const TrainBody = Type.Object(
  {
    kind: Type.Union([...MODEL_KINDS.map((k) => Type.Literal(k)), Type.Literal('all')], {
      description: '`login`, `transaction`, or `all` (each kind that has enough history).',
    }),
    activate: Type.Optional(Type.Boolean({ description: 'Make the new model the active one at once. Default false.' })),
    days: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 365, description: `Days of stored events to learn from. Default ${DEFAULT_TRAINING_DAYS}.` }),
    ),
  },
  { additionalProperties: false },
);

/** Anomaly models: list, train, activate. Admin only: a model decides what gets challenged. */
export function modelRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<VigilTypeProvider>();

    typed.get(
      '/v1/models',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Anomaly models, newest first, with their metrics and which are active',
          tags: ['models'],
          response: { 200: ModelsSchema },
        },
      },
      async () => ({ models: (await system.models.list()).map(presentModel) }),
    );

    typed.post(
      '/v1/models/train',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Train an anomaly model from stored events, and activate it if asked',
          description:
            'Replays the stored events of the last `days` in time order, fits a seeded Isolation Forest and sets its threshold at the ' +
            '99.5th percentile of training scores (at least 0.6). Runs in the server: seconds for months of a small shop, longer for ' +
            'large stores, where `npx vigil train` is the better place.',
          tags: ['models'],
          body: TrainBody,
          response: { 201: TrainedModelsSchema },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        const { kind, activate = false, days } = request.body;
        const kinds = kind === 'all' ? MODEL_KINDS : [kind];
        const models: Array<ReturnType<typeof presentModel>> = [];
        const skipped: Array<{ kind: string } & Problem> = [];
        for (const k of kinds) {
          const outcome = await trainAndStore(
            system.models,
            system.events,
            { kind: k, activate, trainedBy: actor, ...(days !== undefined && { days }) },
            system.clock,
          );
          if (!outcome.ok) {
            skipped.push({ kind: k, ...outcome.error });
            continue;
          }
          models.push(presentModel(outcome.value.model));
        }
        const first = skipped[0];
        if (models.length === 0 && first) return sendProblem(reply, { code: first.code, message: first.message });
        return reply.code(201).send({ models, skipped });
      },
    );

    typed.post(
      '/v1/models/:id/activate',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Make a model the active one of its kind: the live path scores with it from the next event, without a restart',
          tags: ['models'],
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
          response: { 200: ActivatedModelSchema },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        const activated = await system.models.activate(request.params.id, actor);
        if (!activated.ok) return sendProblem(reply, activated.error);
        return { ...presentModel(activated.value.model), previousId: activated.value.previous?.id ?? null };
      },
    );
  };
}
