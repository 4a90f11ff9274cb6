import type { AuditRecorder } from '../audit/ports.js';
import type { Clock } from '../core/clock.js';
import type { StoredEvent } from '../domain/activity-event.js';
import { maskEmail, maskPhone } from './one-time-codes.js';
import type { AccountStore, Contact } from './ports.js';

/** Where an account's codes and notices go: set by the client app or an admin, or learnt from events. */
export class AccountContacts {
  constructor(
    private readonly accounts: AccountStore,
    private readonly audit: AuditRecorder,
    private readonly clock: Clock,
  ) {}

  async setContact(user: string, contact: Contact, actor: string): Promise<void> {
    await this.accounts.setContact(user, contact, this.clock.now());
    await this.audit.record(actor, 'account.contact_changed', `account:${user}`, {
      ...(contact.email !== undefined && { email: maskEmail(contact.email) }),
      ...(contact.phone !== undefined && { phone: maskPhone(contact.phone) }),
    });
  }

  /** After events are stored: the emails they carry, for accounts that have none yet. */
  async onEventsStored(events: readonly StoredEvent[]): Promise<void> {
    const emails = new Map<string, string>();
    for (const e of events) {
      // An email change is what an account thief does first: its new address never becomes the contact
      // (and fillEmails skips accounts that ever reported one, whatever their later events carry).
      if (e.email !== undefined && e.type !== 'email.changed' && !emails.has(e.user)) emails.set(e.user, e.email);
    }
    if (emails.size > 0) {
      await this.accounts.fillEmails(
        [...emails].map(([user, email]) => ({ user, email })),
        this.clock.now(),
      );
    }
  }
}
