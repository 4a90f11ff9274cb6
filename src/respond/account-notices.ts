import type { AuditRecorder } from '../audit/ports.js';
import type { Contact, MessageSender } from './ports.js';

/** Messages to the account's owner and to the admins about what happened to an account. */
export class AccountNotices {
  constructor(
    private readonly sender: MessageSender,
    /** Who hears about alerts and disputes (VIGIL_ADMIN_ALERT_EMAILS). */
    private readonly adminEmails: readonly string[],
    private readonly audit: AuditRecorder,
    private readonly onError: (message: string, error: unknown) => void,
  ) {}

  /** Tells the owner, by email or else SMS, that an alert was raised on their account; audited when sent. */
  async notifyUser(user: string, contact: Contact, alertId: string | undefined): Promise<void> {
    const to = contact.email ?? contact.phone;
    if (to === undefined) return;
    const channel = contact.email !== undefined ? 'email' : 'sms';
    const sent = await this.sender.send({
      channel,
      to,
      user,
      subject: 'Unusual activity on your account',
      // No alert id: it means nothing to a shopper, and is an internal reference an attacker reading
      // the mailbox should not learn. The id stays in the audit entry below.
      text: `We noticed unusual activity on your account. If it was not you, report it in the app ("This wasn't me") and change your password.`,
    });
    if (!sent.ok) {
      this.onError(`notification to ${user} not sent: ${sent.error.reason}`, undefined);
      return;
    }
    await this.audit.record('vigil', 'user.notified', `account:${user}`, { alertId, channel });
  }

  /** One email to each admin; a failed one is reported and the others still go. */
  async notifyAdmins(subject: string, text: string): Promise<void> {
    for (const to of this.adminEmails) {
      const sent = await this.sender.send({ channel: 'email', to, subject: `[Vigil] ${subject}`, text });
      if (!sent.ok) this.onError(`admin notification failed: ${sent.error.reason}`, undefined);
    }
  }
}
