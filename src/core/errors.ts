/**
 * Every error code Vigil returns. Codes are a public contract: clients branch on them, so they are
 * never renamed. The HTTP status for each lives in one exhaustive switch in `http/errors.ts`.
 */
export const ERROR_CODES = [
  'invalid_event',
  'unknown_event_type',
  'missing_field',
  'unknown_field',
  'invalid_timestamp',
  'timestamp_in_future',
  'invalid_ip',
  'invalid_amount',
  'invalid_json',
  'invalid_ndjson',
  'line_too_long',
  'invalid_query',
  'invalid_body',
  'invalid_assignee',
  'not_a_person',
  'webhook_target_not_allowed',
  'invalid_cursor',
  'atomic_not_supported',
  'invalid_rule',
  'invalid_transition',
  'invalid_code',
  'code_expired',
  'too_many_attempts',
  'no_contact',
  'not_locked',
  'unlock_requires_password_change',
  'unlock_requires_admin',
  'delivery_failed',
  'payload_too_large',
  'batch_too_large',
  'unsupported_media_type',
  'unauthorized',
  'invalid_credentials',
  'totp_required',
  'forbidden',
  'csrf_failed',
  'email_taken',
  'weak_password',
  'not_found',
  'not_enough_history',
  'model_incompatible',
  'invalid_csv',
  'missing_column',
  'invalid_cell',
  'empty_file',
  'too_few_rows',
  'rule_not_snoozable',
  'too_many_snoozes',
  'too_many_saved_views',
  'rate_limited',
  'invalid_encoding',
  'busy',
  'sso_failed',
  'sso_no_role',
  'sso_unavailable',
  'internal_error',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** A client-facing problem: what went wrong, and where (JSON pointer `path`, 1-based `line`). */
export interface Problem {
  readonly code: ErrorCode;
  readonly message: string;
  readonly path?: string;
  readonly line?: number;
}

/** Thrown only across layers that cannot return a value (Fastify hooks); carries a Problem. */
export class ProblemError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.message);
    this.name = 'ProblemError';
    this.problem = problem;
  }
}
