import type { Static, TSchema } from '@sinclair/typebox';
import type { FastifyTypeProvider } from 'fastify';
import type { Body } from './schemas/common.js';

/**
 * Route types from Vigil's TypeBox schemas (@sinclair/typebox, the package the schemas are built
 * with): requests as their schemas say, and a handler's answer checked against its `response`
 * schema, read-only, so that presenters may hand over the domain's read-only arrays.
 */
export interface VigilTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
  serializer: this['schema'] extends TSchema ? Body<this['schema']> : unknown;
}
