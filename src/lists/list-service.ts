import type { AuditTrail } from '../audit/audit-trail.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { err, ok, type Result } from '../core/result.js';
import { parseTimestamp } from '../core/timestamp.js';
import { type ListBook, type ListEntry, type ListKind, type ListName, normaliseListValue } from '../detect/lists.js';
import type { ListQuery, ListStore } from './ports.js';

/** What an admin asks for: one entry of the allow or block list. */
export interface NewListEntry {
  readonly list: ListName;
  readonly kind: ListKind;
  readonly value: string;
  readonly reason: string;
  /** Allow entries only: the rule ids it stops; empty or absent for every rule. */
  readonly rules?: readonly string[];
  /** ISO 8601 with a time zone, in the future. */
  readonly expiresAt?: string;
}

export interface ListServiceDeps {
  readonly store: ListStore;
  readonly book: ListBook;
  readonly audit: Pick<AuditTrail, 'record'>;
  readonly clock: Clock;
  /** Whether a rule with this id exists (built-in or custom). */
  readonly ruleExists: (id: string) => boolean;
  /**
   * Called once a change is in the book, before the change is answered: other processes that keep
   * their own copy of the book read it again (the distributed mode).
   */
  readonly changed?: () => Promise<void>;
}

const MAX_REASON = 500;

/**
 * The allow and block lists as admins change them: validates and normalises, stores, updates the
 * book that detection reads (at once, in this process), and audits every change.
 */
export class ListService {
  constructor(private readonly deps: ListServiceDeps) {}

  /** Fills the book from the store (at start). Returns the entries that could not be used. */
  async load(): Promise<readonly ListEntry[]> {
    return this.deps.book.load(await this.deps.store.listNotRemoved());
  }

  /** The entry as it would be stored, or the problem with the first bad field (its JSON pointer in `path`). */
  validate(input: NewListEntry, createdBy: string, now: number): Result<ListEntry, Problem> {
    const bad = (path: string, message: string) => err<Problem>({ code: 'invalid_body', message, path });
    const normalised = normaliseListValue(input.kind, input.value);
    if ('message' in normalised) return bad('/value', normalised.message);
    const reason = input.reason.trim();
    if (reason.length === 0 || reason.length > MAX_REASON) return bad('/reason', `reason must be 1 to ${MAX_REASON} characters.`);
    const rules = input.rules ?? [];
    if (input.list === 'block' && rules.length > 0)
      return bad('/rules', 'rules is for allow entries only: a block entry blocks whatever rules say.');
    const seen = new Set<string>();
    for (const [i, rule] of rules.entries()) {
      if (!this.deps.ruleExists(rule)) return bad(`/rules/${i}`, `There is no rule "${rule}".`);
      if (seen.has(rule)) return bad(`/rules/${i}`, `Rule "${rule}" is listed twice.`);
      seen.add(rule);
    }
    let expiresAt: number | null = null;
    if (input.expiresAt !== undefined) {
      const at = parseTimestamp(input.expiresAt);
      if (at === undefined)
        return bad(
          '/expiresAt',
          `expiresAt "${input.expiresAt}" is not an ISO 8601 date-time with a time zone, e.g. 2026-12-31T23:59:00Z.`,
        );
      if (at <= now) return bad('/expiresAt', `expiresAt ${input.expiresAt} is not in the future.`);
      expiresAt = at;
    }
    return ok({
      id: newId('lst', now),
      list: input.list,
      kind: input.kind,
      value: normalised.value,
      reason,
      rules: [...rules],
      createdBy,
      createdAt: now,
      expiresAt,
    });
  }

  async add(input: NewListEntry, actor: string): Promise<Result<ListEntry, Problem>> {
    const now = this.deps.clock.now();
    const checked = this.validate(input, actor, now);
    if (!checked.ok) return checked;
    const entry = checked.value;
    await this.deps.store.add(entry);
    this.deps.book.put(entry);
    await this.deps.changed?.();
    await this.deps.audit.record(actor, 'list.entry_added', `list:${entry.id}`, {
      list: entry.list,
      kind: entry.kind,
      value: entry.value,
      reason: entry.reason,
      rules: [...entry.rules],
      expiresAt: entry.expiresAt === null ? null : new Date(entry.expiresAt).toISOString(),
    });
    return ok(entry);
  }

  /** Removes an entry: out of the book at once, kept in the store as removed. */
  async remove(id: string, actor: string): Promise<Result<ListEntry, Problem>> {
    const notFound = err<Problem>({ code: 'not_found', message: `No list entry ${id}.` });
    const stored = await this.deps.store.get(id);
    if (!stored || stored.removedAt !== null) return notFound;
    const now = this.deps.clock.now();
    // Only one of two concurrent removals wins; the other is answered as if the entry were gone.
    if (!(await this.deps.store.remove(id, now, actor))) return notFound;
    this.deps.book.remove(id);
    await this.deps.changed?.();
    const { removedAt: _at, removedBy: _by, ...entry } = stored;
    await this.deps.audit.record(actor, 'list.entry_removed', `list:${id}`, {
      list: entry.list,
      kind: entry.kind,
      value: entry.value,
    });
    return ok(entry);
  }

  /** Entries not removed, newest first; expired ones only when asked. */
  list(query: Omit<ListQuery, 'now'>): Promise<readonly ListEntry[]> {
    return this.deps.store.list({ ...query, now: this.deps.clock.now() });
  }
}
