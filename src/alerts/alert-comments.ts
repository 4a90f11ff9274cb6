import type { AuditTrail } from '../audit/audit-trail.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { err, ok, type Result } from '../core/result.js';
import type { AlertComment, AlertStore } from './ports.js';

export const MAX_COMMENT_LENGTH = 4000;

/**
 * The comment thread of an alert: plain text, kept exactly as written (the dashboard shows it as
 * text, never as HTML), never edited or removed, each one audited.
 */
export class AlertComments {
  constructor(
    private readonly store: AlertStore,
    private readonly clock: Clock,
    private readonly audit: AuditTrail,
  ) {}

  async list(alertId: string): Promise<Result<readonly AlertComment[], Problem>> {
    if (!(await this.store.get(alertId))) return err({ code: 'not_found', message: `No alert ${alertId}.` });
    return ok(await this.store.comments(alertId));
  }

  async add(alertId: string, text: string, author: string): Promise<Result<AlertComment, Problem>> {
    if (text.trim() === '') return err({ code: 'invalid_body', message: 'A comment needs some text.', path: '/text' });
    if (text.length > MAX_COMMENT_LENGTH) {
      return err({ code: 'invalid_body', message: `A comment has at most ${MAX_COMMENT_LENGTH} characters.`, path: '/text' });
    }
    if (!(await this.store.get(alertId))) return err({ code: 'not_found', message: `No alert ${alertId}.` });
    const at = this.clock.now();
    const comment: AlertComment = { id: newId('acmt', at), alertId, author, text, at };
    await this.store.addComment(comment);
    // The text stays out of the audit trail: a pasted code or address would otherwise be in a log
    // that is never pruned. The entry says who commented where; the thread holds what was said.
    await this.audit.record(author, 'alert.commented', `alert:${alertId}`, { comment: comment.id, length: text.length });
    return ok(comment);
  }
}
