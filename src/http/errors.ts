import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, type Problem, ProblemError } from '../core/errors.js';
import { assertExhaustive } from '../core/result.js';

/** The one place where an error code becomes an HTTP status. */
export function statusFor(code: ErrorCode): number {
  switch (code) {
    case 'invalid_event':
    case 'unknown_event_type':
    case 'missing_field':
    case 'unknown_field':
    case 'invalid_timestamp':
    case 'timestamp_in_future':
    case 'invalid_ip':
    case 'invalid_amount':
    case 'invalid_json':
    case 'invalid_ndjson':
    case 'line_too_long':
    case 'invalid_query':
    case 'invalid_body':
    case 'invalid_assignee':
    case 'not_a_person':
    case 'webhook_target_not_allowed':
    case 'invalid_cursor':
    case 'atomic_not_supported':
    case 'invalid_rule':
    case 'invalid_csv':
    case 'invalid_encoding':
      return 400;
    case 'unauthorized':
    case 'invalid_credentials':
    case 'totp_required':
    case 'sso_failed':
      return 401;
    case 'forbidden':
    case 'csrf_failed':
    case 'rule_not_snoozable':
    case 'sso_no_role':
      return 403;
    case 'not_found':
      return 404;
    case 'invalid_code':
    case 'code_expired':
    case 'weak_password':
    case 'missing_column':
    case 'invalid_cell':
    case 'empty_file':
    case 'too_few_rows':
      return 422;
    case 'invalid_transition':
    case 'email_taken':
    case 'no_contact':
    case 'not_locked':
    case 'unlock_requires_password_change':
    case 'unlock_requires_admin':
    case 'too_many_attempts':
    case 'not_enough_history':
    case 'model_incompatible':
    case 'too_many_snoozes':
    case 'too_many_saved_views':
      return 409;
    case 'payload_too_large':
    case 'batch_too_large':
      return 413;
    case 'unsupported_media_type':
      return 415;
    case 'rate_limited':
      return 429;
    case 'internal_error':
      return 500;
    case 'delivery_failed':
      return 502;
    case 'busy':
    case 'sso_unavailable':
      return 503;
    default:
      return assertExhaustive(code, 'error code');
  }
}

export interface ItemProblem extends Problem {
  readonly index?: number;
}

/** `{ error: { code, message, path?, line?, requestId, errors? } }`, the body of every failed request. */
export function problemBody(problem: Problem, requestId: string, errors?: readonly ItemProblem[]) {
  return {
    error: {
      code: problem.code,
      message: problem.message,
      ...(problem.path !== undefined && { path: problem.path }),
      ...(problem.line !== undefined && { line: problem.line }),
      requestId,
      ...(errors && { errors }),
    },
  };
}

export function sendProblem(reply: FastifyReply, problem: Problem, errors?: readonly ItemProblem[]): FastifyReply {
  return reply.code(statusFor(problem.code)).send(problemBody(problem, reply.request.id, errors));
}

/** Fastify's own client errors, by their stable codes, as Vigil problems. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_VALIDATION: 'invalid_query',
};

/** Other libraries' client errors (e.g. @fastify/static), by HTTP status. */
const CLIENT_STATUS_CODES: Record<number, ErrorCode> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/**
 * Maps anything thrown during a request to a problem. Client mistakes keep their message; anything
 * else is a 500 whose details go to the log only, never to the client.
 */
export function problemFromError(error: unknown, request: FastifyRequest): { problem: Problem; internal: boolean } {
  if (error instanceof ProblemError) return { problem: error.problem, internal: false };
  const e = error as {
    code?: string;
    statusCode?: number;
    message?: string;
    validation?: Array<{ instancePath?: string; keyword?: string; params?: { missingProperty?: string; additionalProperty?: string } }>;
    validationContext?: string;
  };
  const mapped =
    e.code === 'FST_ERR_VALIDATION' && e.validationContext === 'body' ? 'invalid_body' : e.code ? FASTIFY_CODES[e.code] : undefined;
  if (mapped) {
    // A missing or unknown property is named by its own path, not its parent's.
    const first = e.validation?.[0];
    const child = first?.params?.missingProperty ?? first?.params?.additionalProperty;
    const path = child !== undefined ? `${first?.instancePath ?? ''}/${child}` : first?.instancePath;
    return {
      problem: {
        code: mapped,
        message:
          mapped === 'payload_too_large'
            ? `The request body is larger than the limit of ${request.routeOptions.bodyLimit ?? 'the server'} bytes.`
            : (e.message ?? mapped),
        ...(path ? { path } : {}),
      },
      internal: false,
    };
  }
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
    // By status first: a static file's 403 or 404 is no JSON problem.
    const code = CLIENT_STATUS_CODES[e.statusCode] ?? 'invalid_json';
    return { problem: { code, message: e.message ?? 'Bad request.' }, internal: false };
  }
  return { problem: { code: 'internal_error', message: 'Vigil failed to handle this request; it has been logged.' }, internal: true };
}
