import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import { err, ok, type Result } from '../core/result.js';
import type { Message, Notifier, OutboxStore, SendFailure, Sent } from './ports.js';

/**
 * Keeps the message in the database instead of sending it, for a channel with no transport
 * configured: a demo needs no mail server, and the dashboard (and `GET /v1/outbox`) shows the
 * messages. This is the one place a message body, one-time code included, is stored: it is the
 * mailbox, readable by admins only. Production sets VIGIL_SMTP_URL and VIGIL_SMS_GATEWAY_URL.
 */
export class OutboxNotifier implements Notifier {
  constructor(
    private readonly store: OutboxStore,
    private readonly clock: Clock,
  ) {}

  async send(message: Message): Promise<Result<Sent, SendFailure>> {
    const now = this.clock.now();
    try {
      await this.store.add({
        id: newId('msg', now),
        channel: message.channel,
        recipient: message.to,
        subject: message.subject,
        body: withAttachmentNote(message),
        ...(message.html !== undefined && { html: message.html }),
        user: message.user ?? null,
        createdAt: now,
      });
      return ok({ via: 'outbox' });
    } catch (error) {
      return err({ code: 'send_failed', via: 'outbox', reason: `could not store the message: ${(error as Error).message?.slice(0, 200)}` });
    }
  }
}

/** The outbox keeps text only; it says which attachments the real message would have carried. */
function withAttachmentNote(message: Message): string {
  if (!message.attachments?.length) return message.text;
  const names = message.attachments.map((a) => `${a.filename} (${a.contentType})`).join(', ');
  return `${message.text}\n\n[Attachments, not kept in the outbox: ${names}]`;
}
