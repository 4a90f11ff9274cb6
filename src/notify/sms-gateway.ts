import { err, ok, type Result } from '../core/result.js';
import type { Message, Notifier, SendFailure, Sent } from './ports.js';

export interface SmsGatewayOptions {
  /** The gateway's endpoint: Vigil POSTs `{"to", "message"}` as JSON to it. */
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  readonly token?: string;
  readonly timeoutMs?: number;
  /** Tests and other runtimes may pass their own; the global fetch otherwise. */
  readonly fetch?: typeof fetch;
}

/** SMS through an HTTP gateway (a small adapter in front of Twilio, Vonage, an operator's API…). */
export class SmsGatewayNotifier implements Notifier {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: SmsGatewayOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async send(message: Message): Promise<Result<Sent, SendFailure>> {
    if (message.channel !== 'sms') return err({ code: 'send_failed', via: 'sms-gateway', reason: `cannot send ${message.channel} by SMS` });
    const timeoutMs = this.options.timeoutMs ?? 5_000;
    try {
      const response = await this.fetch(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.options.token !== undefined && { authorization: `Bearer ${this.options.token}` }),
        },
        body: JSON.stringify({ to: message.to, message: message.text }),
        // A redirect could carry the message (and the token) to another host: a failure, not followed.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      // The answer's body is not read into the reason: a gateway may echo the message, code included.
      await response.body?.cancel();
      if (response.status >= 200 && response.status < 300) return ok({ via: 'sms-gateway' });
      return err({ code: 'send_failed', via: 'sms-gateway', reason: `gateway answered HTTP ${response.status}` });
    } catch (error) {
      const e = error as { name?: string; message?: string; cause?: { code?: string } };
      const reason =
        e.name === 'TimeoutError'
          ? `no answer within ${timeoutMs} ms`
          : (e.cause?.code ?? e.message?.split('\n')[0]?.slice(0, 200) ?? 'gateway unreachable');
      return err({ code: 'send_failed', via: 'sms-gateway', reason });
    }
  }
}
