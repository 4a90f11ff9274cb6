import { createRequire } from 'node:module';
import type { Transporter } from 'nodemailer';
import { err, ok, type Result } from '../core/result.js';
import type { Message, Notifier, SendFailure, Sent } from './ports.js';

export interface SmtpEmailOptions {
  /** `smtp://user:pass@host:587` or `smtps://…`, as nodemailer reads it. */
  readonly url: string;
  /** The From header, e.g. `Vigil <security@example.com>`. */
  readonly from: string;
}

/**
 * Email through an SMTP server. Nodemailer's own logging stays off: at debug level it would write
 * the whole conversation, message body included, and bodies carry one-time codes.
 */
export class SmtpEmailNotifier implements Notifier {
  private readonly transport: Transporter;

  constructor(private readonly options: SmtpEmailOptions) {
    // Loaded here, when SMTP is configured: a process without it starts without nodemailer.
    const { createTransport } = createRequire(import.meta.url)('nodemailer') as typeof import('nodemailer');
    this.transport = createTransport({
      url: options.url,
      logger: false,
      debug: false,
      // Nodemailer waits minutes by default; a code the user waits for is useless that late.
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
  }

  async send(message: Message): Promise<Result<Sent, SendFailure>> {
    if (message.channel !== 'email') return err({ code: 'send_failed', via: 'smtp', reason: `cannot send ${message.channel} by SMTP` });
    try {
      await this.transport.sendMail({
        from: this.options.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.html !== undefined && { html: message.html }),
        ...(message.attachments && {
          attachments: message.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
        }),
      });
      return ok({ via: 'smtp' });
    } catch (error) {
      return err({ code: 'send_failed', via: 'smtp', reason: smtpReason(error) });
    }
  }

  /** Releases pooled connections, if any. */
  close(): void {
    this.transport.close();
  }
}

/** The error's code and first line: what went wrong with the server, never what was being sent. */
function smtpReason(error: unknown): string {
  const e = error as { code?: unknown; responseCode?: unknown; message?: unknown };
  const parts = [
    typeof e.code === 'string' ? e.code : undefined,
    typeof e.responseCode === 'number' ? `SMTP ${e.responseCode}` : undefined,
    typeof e.message === 'string' ? e.message.split('\n')[0]?.slice(0, 200) : undefined,
  ].filter((p): p is string => p !== undefined && p !== '');
  return parts.join(': ') || 'unknown SMTP error';
}
