import type { Clock } from '../core/clock.js';
import { assertExhaustive, type Result } from '../core/result.js';
import { maskRecipient } from './mask.js';
import { OutboxNotifier } from './outbox.js';
import type { Message, Notifier, NotifyLogger, OutboxStore, SendFailure, Sent } from './ports.js';
import { SmsGatewayNotifier } from './sms-gateway.js';
import { SmtpEmailNotifier } from './smtp-email.js';

/**
 * Sends each message by its channel's transport and logs the outcome. Logs carry the channel, the
 * recipient masked and the failure reason, never the subject or body (they carry one-time codes).
 * A failed transport is not replaced by the outbox: the caller must learn that the code never left.
 */
export class ChannelNotifier implements Notifier {
  constructor(
    private readonly channels: { readonly email: Notifier; readonly sms: Notifier },
    private readonly log: NotifyLogger,
  ) {}

  async send(message: Message): Promise<Result<Sent, SendFailure>> {
    const result = await this.transportFor(message).send(message);
    const who = `${message.channel} to ${maskRecipient(message.channel, message.to)}`;
    if (result.ok) this.log.info(`${who} sent via ${result.value.via}`);
    else this.log.warn(`${who} failed via ${result.error.via}: ${result.error.reason}`);
    return result;
  }

  private transportFor(message: Message): Notifier {
    switch (message.channel) {
      case 'email':
        return this.channels.email;
      case 'sms':
        return this.channels.sms;
      default:
        return assertExhaustive(message.channel, 'channel');
    }
  }
}

export interface NotifierDeps {
  readonly outbox: OutboxStore;
  readonly clock: Clock;
  readonly log: NotifyLogger;
  readonly fetch?: typeof fetch;
}

/** Where messages go (VIGIL_SMTP_URL, VIGIL_MAIL_FROM, VIGIL_SMS_GATEWAY_URL and _TOKEN): unset, the outbox. */
export interface TransportSettings {
  readonly smtpUrl?: string | undefined;
  readonly mailFrom: string;
  readonly smsGatewayUrl?: string | undefined;
  readonly smsGatewayToken?: string | undefined;
}

/** Email by SMTP when VIGIL_SMTP_URL is set, SMS by the gateway when VIGIL_SMS_GATEWAY_URL is; the outbox otherwise. */
export function createNotifier(config: TransportSettings, deps: NotifierDeps): ChannelNotifier {
  const outbox = new OutboxNotifier(deps.outbox, deps.clock);
  const email = config.smtpUrl === undefined ? outbox : new SmtpEmailNotifier({ url: config.smtpUrl, from: config.mailFrom });
  const sms =
    config.smsGatewayUrl === undefined
      ? outbox
      : new SmsGatewayNotifier({
          url: config.smsGatewayUrl,
          ...(config.smsGatewayToken !== undefined && { token: config.smsGatewayToken }),
          ...(deps.fetch && { fetch: deps.fetch }),
        });
  if (email === outbox || sms === outbox) {
    const kept = [email === outbox && 'email (VIGIL_SMTP_URL unset)', sms === outbox && 'SMS (VIGIL_SMS_GATEWAY_URL unset)'].filter(
      Boolean,
    );
    deps.log.info(`Notifications: ${kept.join(' and ')} ${kept.length > 1 ? 'go' : 'goes'} to the outbox, not to people.`);
  }
  return new ChannelNotifier({ email, sms }, deps.log);
}
