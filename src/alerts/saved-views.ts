import type { AuditTrail } from '../audit/audit-trail.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { err, ok, type Result } from '../core/result.js';
import type { SavedView, SavedViewStore } from './ports.js';

/**
 * What a feed link's query may hold: the filters (as `GET /v1/alerts` takes them, with `since` for a
 * relative time), the sort, the grouping and the layout. Anything else is refused rather than kept, so
 * a saved view is always a link the feed understands. In the feed's own order (AlertFeedPage), so that
 * the view's link is the address the feed showed when it was saved.
 */
export const FEED_QUERY_KEYS = [
  'q',
  'severity',
  'status',
  'type',
  'rule',
  'user',
  'ip',
  'owner',
  'since',
  'from',
  'to',
  'view',
  'sort',
  'group',
] as const;
export const MAX_VIEW_NAME_LENGTH = 80;
export const MAX_VIEW_QUERY_LENGTH = 1000;
/** Per staff member: enough for every queue one works, few enough to list in the feed. */
export const MAX_SAVED_VIEWS = 50;

/**
 * Saved views of the alert feed: named filter sets, each staff member's own (a view is shared by its
 * link, which carries the same query). Saving a name again replaces that view. Saving and deleting
 * are audited like every other staff change.
 */
export class SavedViews {
  constructor(
    private readonly store: SavedViewStore,
    private readonly clock: Clock,
    private readonly audit: AuditTrail,
  ) {}

  list(owner: string): Promise<readonly SavedView[]> {
    return this.store.list(owner);
  }

  async save(owner: string, actor: string, input: { name: string; query: string }): Promise<Result<SavedView, Problem>> {
    const name = input.name.trim();
    if (name === '' || name.length > MAX_VIEW_NAME_LENGTH) {
      return err({ code: 'invalid_body', message: `name must be 1 to ${MAX_VIEW_NAME_LENGTH} characters.`, path: '/name' });
    }
    const query = normaliseQuery(input.query);
    if (typeof query !== 'string') return err(query);
    const existing = await this.store.list(owner);
    if (existing.length >= MAX_SAVED_VIEWS && !existing.some((v) => v.name === name)) {
      return err({ code: 'too_many_saved_views', message: `At most ${MAX_SAVED_VIEWS} saved views each: delete one first.` });
    }
    const now = this.clock.now();
    const saved = await this.store.save({ id: newId('view', now), owner, name, query, createdAt: now, updatedAt: now });
    await this.audit.record(actor, 'view.saved', `view:${saved.id}`, { name, query });
    return ok(saved);
  }

  async delete(owner: string, actor: string, id: string): Promise<Result<void, Problem>> {
    // Only the owner's own: another member's view is "not found", so ids of others' views reveal nothing.
    if (!(await this.store.delete(owner, id))) return err({ code: 'not_found', message: `No saved view ${id}.` });
    await this.audit.record(actor, 'view.deleted', `view:${id}`);
    return ok(undefined);
  }
}

/** The query with a leading `?` dropped, known keys only, empty values left out, in a stable order. */
function normaliseQuery(raw: string): string | Problem {
  const text = raw.trim().replace(/^\?/, '');
  if (text.length > MAX_VIEW_QUERY_LENGTH) {
    return { code: 'invalid_body', message: `query must be at most ${MAX_VIEW_QUERY_LENGTH} characters.`, path: '/query' };
  }
  const params = new URLSearchParams(text);
  const unknown = [...params.keys()].find((k) => !(FEED_QUERY_KEYS as readonly string[]).includes(k));
  if (unknown !== undefined) {
    return { code: 'invalid_body', message: `query names "${unknown}", not one of ${FEED_QUERY_KEYS.join(', ')}.`, path: '/query' };
  }
  const kept = new URLSearchParams();
  for (const key of FEED_QUERY_KEYS) {
    const value = params.get(key);
    if (value !== null && value !== '') kept.set(key, value);
  }
  return kept.toString();
}
