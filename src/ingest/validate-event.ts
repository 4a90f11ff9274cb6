import { isIP } from 'node:net';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Problem } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { parseTimestamp } from '../core/timestamp.js';
import type { ActivityEvent } from '../domain/activity-event.js';
import { type EventInput, EventInputSchema, type EventType } from '../domain/event-schema.js';
import { EVENT_TYPES } from '../domain/vocabulary.js';

const compiled = TypeCompiler.Compile(EventInputSchema);
const eventTypes = new Set<string>(EVENT_TYPES);

/** Clocks drift; more than this ahead of ours is a client bug or a forged time, and would poison windows. */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;
const MAX_ATTRIBUTES_BYTES = 8 * 1024;
/** Levels of nesting in `attributes`, the object itself being the first: far above any real use, far below a stack overflow. */
export const MAX_ATTRIBUTES_DEPTH = 32;

/** Free-text ids: a control character or an unpaired UTF-16 surrogate in them cannot be a real id (and PostgreSQL refuses NUL). */
const ID_FIELDS = ['user', 'session', 'device', 'email', 'merchant', 'paymentMethod', 'userAgent', 'path'] as const;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses.
const BAD_ID_CHARACTER = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Turns one raw JSON value into an ActivityEvent, or the first problem with it. Pure: `now` is passed
 * in so that "too far in the future" is testable.
 */
export function validateEvent(raw: unknown, now: number): Result<ActivityEvent, Problem> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return err({ code: 'invalid_event', message: 'An event must be a JSON object.' });
  }
  const candidate = raw as Record<string, unknown>;
  // The commonest mistakes get a precise code before the generic schema check.
  if (candidate.type === undefined) return err(missing('type'));
  if (typeof candidate.type !== 'string' || !eventTypes.has(candidate.type)) {
    return err({
      code: 'unknown_event_type',
      message: `type ${JSON.stringify(candidate.type)} is not one of: ${EVENT_TYPES.join(', ')}.`,
      path: '/type',
    });
  }
  if (candidate.user === undefined) return err(missing('user'));
  // Before anything walks attributes (the schema check, JSON.stringify below, the store): a hostile
  // nesting would overflow the stack in any recursive walk and turn into a 500.
  if (typeof candidate.attributes === 'object' && candidate.attributes !== null) {
    const deepAt = firstTooDeep(candidate.attributes, MAX_ATTRIBUTES_DEPTH);
    if (deepAt !== undefined) {
      const path = `/attributes${deepAt}`;
      return err({
        code: 'invalid_event',
        message: `attributes is nested more than ${MAX_ATTRIBUTES_DEPTH} levels deep (at ${path}).`,
        path,
      });
    }
  }

  if (!compiled.Check(raw)) {
    const first = compiled.Errors(raw).First();
    const path = first?.path ?? '';
    if (first?.message === 'Unexpected property') {
      return err({ code: 'unknown_field', message: `Unknown field "${path.slice(1)}".`, path });
    }
    const code = path === '/amount' ? 'invalid_amount' : 'invalid_event';
    return err({ code, message: `${path.slice(1) || 'event'}: ${first?.message ?? 'invalid'}.`, path });
  }
  const input = raw as EventInput;
  for (const field of ID_FIELDS) {
    const value = input[field];
    if (value !== undefined && BAD_ID_CHARACTER.test(value)) {
      return err({
        code: 'invalid_event',
        message: `${field} contains a control character or an unpaired UTF-16 surrogate.`,
        path: `/${field}`,
      });
    }
  }

  let occurredAt = now;
  if (input.timestamp !== undefined) {
    const parsed = parseTimestamp(input.timestamp);
    if (parsed === undefined) {
      return err({
        code: 'invalid_timestamp',
        message: `timestamp "${input.timestamp}" is not an ISO 8601 date-time with a time zone, e.g. 2026-11-24T09:30:00Z.`,
        path: '/timestamp',
      });
    }
    if (parsed > now + MAX_FUTURE_SKEW_MS) {
      return err({
        code: 'timestamp_in_future',
        message: `timestamp ${input.timestamp} is more than 5 minutes in the future.`,
        path: '/timestamp',
      });
    }
    occurredAt = parsed;
  }
  if (input.ip !== undefined && isIP(input.ip) === 0) {
    return err({ code: 'invalid_ip', message: `ip "${input.ip}" is not an IPv4 or IPv6 address.`, path: '/ip' });
  }
  const moneyProblem = checkMoney(input.type, input.amount, input.currency);
  if (moneyProblem) return err(moneyProblem);
  if (input.attributes !== undefined && JSON.stringify(input.attributes).length > MAX_ATTRIBUTES_BYTES) {
    return err({ code: 'invalid_event', message: 'attributes is larger than 8 KiB.', path: '/attributes' });
  }

  // Optional fields are copied one by one: spreading a conditional object per field would allocate
  // a dozen throw-away objects per event on the hottest path.
  const event: { -readonly [K in keyof ActivityEvent]: ActivityEvent[K] } = { type: input.type, user: input.user, occurredAt };
  if (input.id !== undefined) event.id = input.id;
  if (input.session !== undefined) event.session = input.session;
  if (input.device !== undefined) event.device = input.device;
  if (input.ip !== undefined) event.ip = input.ip;
  if (input.userAgent !== undefined) event.userAgent = input.userAgent;
  if (input.email !== undefined) event.email = input.email.toLowerCase();
  if (input.amount !== undefined) event.amount = input.amount;
  if (input.currency !== undefined) event.currency = input.currency.toUpperCase();
  if (input.merchant !== undefined) event.merchant = input.merchant;
  if (input.paymentMethod !== undefined) event.paymentMethod = input.paymentMethod;
  if (input.path !== undefined) event.path = input.path;
  if (input.attributes !== undefined) event.attributes = input.attributes;
  return ok(event);
}

interface Frame {
  readonly value: object;
  readonly depth: number;
  readonly parent: Frame | undefined;
  readonly key: string;
}

/**
 * The JSON pointer (relative to `root`) of the first object or array nested deeper than `maxDepth`
 * levels, `root` being level 1; undefined when there is none. Iterative, with an explicit stack, so
 * that no nesting can overflow the call stack; the pointer is only built on failure.
 */
export function firstTooDeep(root: object, maxDepth: number): string | undefined {
  const stack: Frame[] = [{ value: root, depth: 1, parent: undefined, key: '' }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    if (frame.depth > maxDepth) return pointerOf(frame);
    const value = frame.value as Record<string, unknown>;
    // Object.keys gives an array's indices too.
    for (const key of Object.keys(value)) {
      const child = value[key];
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: frame.depth + 1, parent: frame, key });
    }
  }
  return undefined;
}

function pointerOf(frame: Frame): string {
  const keys: string[] = [];
  for (let f: Frame | undefined = frame; f?.parent !== undefined; f = f.parent)
    keys.push(f.key.replaceAll('~', '~0').replaceAll('/', '~1'));
  return keys.length === 0 ? '' : `/${keys.reverse().join('/')}`;
}

function missing(field: string): Problem {
  return { code: 'missing_field', message: `${field} is required.`, path: `/${field}` };
}

/** A money amount is meaningless without its currency, and a transaction without an amount is unscorable. */
function checkMoney(type: EventType, amount: number | undefined, currency: string | undefined): Problem | undefined {
  if (amount !== undefined && !Number.isFinite(amount)) {
    return { code: 'invalid_amount', message: 'amount must be a finite number.', path: '/amount' };
  }
  if (type === 'transaction' && amount === undefined) return missing('amount');
  if (amount !== undefined && currency === undefined) return missing('currency');
  return undefined;
}
