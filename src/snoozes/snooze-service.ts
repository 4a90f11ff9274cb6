import type { AuditTrail } from '../audit/audit-trail.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { err, ok, type Result } from '../core/result.js';
import { parseTimestamp } from '../core/timestamp.js';
import type { RuleSet } from '../detect/rule-set.js';
import type { SnoozeBook } from '../detect/snooze-book.js';
import type { Snooze } from '../detect/snoozes.js';
import type { SnoozeStore } from './ports.js';

/**
 * The rules a member may snooze on their own account: the ones about where and how the owner signs
 * in and behaves, which a traveller or owner can speak for ("I'm in Japan until the 20th", "new
 * laptop"). Never the rules about money or attacks (card testing, block lists, credential stuffing,
 * the takeover chain): an account's owner cannot vouch for those, and a thief signed in as them
 * would snooze them first. Admins may snooze any rule.
 */
export const MEMBER_SNOOZABLE_RULES: readonly string[] = ['new-login-context', 'impossible-travel', 'behaviour-anomaly'];

/** At most this many snoozes in force on a member's account at once, counting only the ones they may set. */
export const MEMBER_MAX_ACTIVE_SNOOZES = 5;

const DAY_MS = 86_400_000;
/** How far ahead a snooze may end: admins 90 days, members 30. */
export const MAX_SNOOZE_MS = { admin: 90 * DAY_MS, member: 30 * DAY_MS } as const;
export const MAX_REASON_LENGTH = 500;

export type SnoozerRole = 'admin' | 'member';

export interface SnoozeRequest {
  readonly rule: string;
  readonly user: string;
  /** ISO 8601 with a time zone. */
  readonly until: string;
  readonly reason: string;
}

export interface SnoozeListQuery {
  readonly user?: string;
  readonly rule?: string;
  /** true: only those in force now; false or absent: all, newest first. */
  readonly active?: boolean;
  readonly limit: number;
}

export const memberMaySnooze = (ruleId: string): boolean => MEMBER_SNOOZABLE_RULES.includes(ruleId);

export interface SnoozeServiceDeps {
  readonly store: SnoozeStore;
  readonly book: SnoozeBook;
  readonly rules: RuleSet;
  readonly audit: AuditTrail;
  readonly clock: Clock;
  /**
   * Called once a change is in the book, before the change is answered: other processes that keep
   * their own copy of the book read it again (the distributed mode).
   */
  readonly changed?: () => Promise<void>;
}

/**
 * Snoozes: a named rule suppressed for one account until a time. Validates, stores, puts it in the
 * in-memory book detection reads, and audits every change. Members act on their own account only,
 * on `MEMBER_SNOOZABLE_RULES` only: the routes pass their user from the session.
 */
export class SnoozeService {
  constructor(private readonly deps: SnoozeServiceDeps) {}

  /** What detection reads (`SnoozeLookup`). */
  get book(): SnoozeBook {
    return this.deps.book;
  }

  /** Loads the snoozes in force into the book; at start, before the first event is scored. */
  async load(): Promise<number> {
    const now = this.deps.clock.now();
    const inForce = await this.deps.store.listInForce(now);
    this.deps.book.load(inForce, now);
    return inForce.length;
  }

  isActive(s: Snooze, now = this.deps.clock.now()): boolean {
    return s.cancelledAt === null && now < s.until;
  }

  async create(request: SnoozeRequest, actor: string, role: SnoozerRole): Promise<Result<Snooze, Problem>> {
    const now = this.deps.clock.now();
    const checked = this.check(request, role, now);
    if (!checked.ok) return checked;
    const { until, reason } = checked.value;
    if (role === 'member') {
      const active = this.deps.book.activeFor(request.user, now).filter((s) => memberMaySnooze(s.ruleId));
      if (active.length >= MEMBER_MAX_ACTIVE_SNOOZES) {
        return err({
          code: 'too_many_snoozes',
          message: `You already have ${active.length} snoozes in force, the most there can be; cancel one first.`,
        });
      }
    }
    const snooze: Snooze = {
      id: newId('snz', now),
      ruleId: request.rule,
      user: request.user,
      until,
      reason,
      createdBy: actor,
      createdAt: now,
      cancelledAt: null,
      cancelledBy: null,
    };
    await this.deps.store.create(snooze);
    this.deps.book.prune(now);
    this.deps.book.put(snooze);
    await this.deps.changed?.();
    await this.deps.audit.record(actor, 'snooze.created', `user:${snooze.user}`, {
      snoozeId: snooze.id,
      rule: snooze.ruleId,
      until: new Date(until).toISOString(),
      reason,
      by: role,
    });
    return ok(snooze);
  }

  /**
   * Cancels a snooze in force. With `onlyUser` (a member), a snooze of another account, or of a rule
   * the member may not snooze, is answered as if it did not exist.
   */
  async cancel(id: string, actor: string, onlyUser?: string): Promise<Result<Snooze, Problem>> {
    const now = this.deps.clock.now();
    const found = await this.deps.store.get(id);
    const notFound: Problem = { code: 'not_found', message: `No snooze ${id}${onlyUser === undefined ? '' : ' on your account'}.` };
    if (!found) return err(notFound);
    if (onlyUser !== undefined && !(found.user === onlyUser && memberMaySnooze(found.ruleId))) return err(notFound);
    if (found.cancelledAt !== null) return err({ code: 'invalid_transition', message: `Snooze ${id} is already cancelled.` });
    if (now >= found.until) return err({ code: 'invalid_transition', message: `Snooze ${id} has already ended.` });
    const cancelled = await this.deps.store.cancel(id, now, actor);
    if (!cancelled) return err(notFound);
    this.deps.book.cancel(id);
    await this.deps.changed?.();
    if (!cancelled.changed) return err({ code: 'invalid_transition', message: `Snooze ${id} is already cancelled.` });
    await this.deps.audit.record(actor, 'snooze.cancelled', `user:${found.user}`, {
      snoozeId: id,
      rule: found.ruleId,
      until: new Date(found.until).toISOString(),
    });
    return ok(cancelled.snooze);
  }

  /** Snoozes, newest first. A member's list (`memberView`) holds only the rules they may snooze. */
  async list(query: SnoozeListQuery, memberView = false): Promise<readonly Snooze[]> {
    const rows = await this.deps.store.list({
      limit: query.limit,
      ...(query.user !== undefined && { user: query.user }),
      ...(query.rule !== undefined && { rule: query.rule }),
      ...(query.active === true && { activeAt: this.deps.clock.now() }),
    });
    return memberView ? rows.filter((s) => memberMaySnooze(s.ruleId)) : rows;
  }

  private check(request: SnoozeRequest, role: SnoozerRole, now: number): Result<{ until: number; reason: string }, Problem> {
    if (!this.deps.rules.get(request.rule)) {
      return err({ code: 'invalid_body', message: `There is no rule "${request.rule}".`, path: '/rule' });
    }
    if (role === 'member' && !memberMaySnooze(request.rule)) {
      return err({
        code: 'rule_not_snoozable',
        message: `You cannot snooze "${request.rule}"; you may snooze ${MEMBER_SNOOZABLE_RULES.join(', ')}.`,
        path: '/rule',
      });
    }
    const until = parseTimestamp(request.until);
    if (until === undefined) {
      return err({
        code: 'invalid_timestamp',
        message: `until "${request.until}" is not an ISO 8601 date-time with a time zone, e.g. 2026-12-20T00:00:00Z.`,
        path: '/until',
      });
    }
    if (until <= now) return err({ code: 'invalid_body', message: 'until must be in the future.', path: '/until' });
    const max = MAX_SNOOZE_MS[role];
    if (until - now > max) {
      return err({ code: 'invalid_body', message: `until may be at most ${max / DAY_MS} days ahead.`, path: '/until' });
    }
    const reason = request.reason.trim();
    if (reason.length === 0 || reason.length > MAX_REASON_LENGTH) {
      return err({ code: 'invalid_body', message: `reason must be 1 to ${MAX_REASON_LENGTH} characters.`, path: '/reason' });
    }
    return ok({ until, reason });
  }
}
