import type { Result } from '../core/result.js';

export const CHANNELS = ['email', 'sms'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface Attachment {
  readonly filename: string;
  readonly content: string | Buffer;
  readonly contentType: string;
}

/**
 * One message to one person. `text` often carries a one-time code: it goes to the transport and
 * nowhere else (never into a log line or an error).
 */
export interface Message {
  readonly channel: Channel;
  /** An email address or a phone number in E.164 (`+447700900123`). */
  readonly to: string;
  /** The email subject; SMS has none, the gateway gets `text` only. */
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  /** The account the message is about, so the outbox can be read per user. */
  readonly user?: string;
  readonly attachments?: readonly Attachment[];
}

/** Which way a message left: a real transport, or the outbox when its channel is not configured. */
export type Via = 'smtp' | 'sms-gateway' | 'outbox';

export interface Sent {
  readonly via: Via;
}

/**
 * A transport that did not take the message. `reason` is written for the log and is safe to log:
 * it never contains the message or the gateway's answer (which might echo it).
 */
export interface SendFailure {
  readonly code: 'send_failed';
  readonly via: Via;
  readonly reason: string;
}

/**
 * Sends a message to a person. A transport that is down is an expected failure, so it is a value:
 * the caller decides whether to tell the client, retry or fall back.
 */
export interface Notifier {
  send(message: Message): Promise<Result<Sent, SendFailure>>;
}

/** A message kept in the outbox: the stand-in mailbox of a Vigil without SMTP server or SMS gateway. */
export interface OutboxMessage {
  readonly id: string;
  readonly channel: Channel;
  readonly recipient: string;
  readonly subject: string;
  readonly body: string;
  /** The email's HTML alternative, when it had one. */
  readonly html?: string;
  readonly user: string | null;
  readonly createdAt: number;
}

export interface OutboxQuery {
  readonly user?: string;
  readonly limit: number;
  readonly after?: { readonly createdAt: number; readonly id: string };
}

export interface OutboxStore {
  add(message: OutboxMessage): Promise<void>;
  /** Newest first. */
  list(query: OutboxQuery): Promise<readonly OutboxMessage[]>;
}

/** What notifications log through: the system's logger fits. */
export interface NotifyLogger {
  info(message: string): void;
  warn(message: string): void;
}
