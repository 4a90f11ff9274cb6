import { type Static, Type } from '@sinclair/typebox';
import { clientOf, type PastEvent } from '../history.js';
import type { Rule, RuleHit } from '../rule.js';
import { formatDuration, minutesToMs } from './format.js';

export const SessionHijackConfigSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    windowMinutes: Type.Integer({
      minimum: 1,
      maximum: 1440,
      description: 'How far back the same session is looked for.',
    }),
  },
  { additionalProperties: false },
);
export type SessionHijackConfig = Static<typeof SessionHijackConfigSchema>;

/**
 * A stolen session cookie: the same session id used from another network and another browser,
 * browser or system version, or device id than it began with. Either change alone is ordinary (a
 * phone moving from Wi-Fi to its carrier keeps its browser; a browser update keeps its network);
 * both at once is a session replayed from somewhere else.
 */
export const sessionHijackRule: Rule<SessionHijackConfig> = {
  id: 'session-hijack',
  title: 'Session used from another network and browser',
  description: 'The same session id from another network and another browser or operating system than earlier in the session.',
  alertType: 'security',
  configSchema: SessionHijackConfigSchema,
  defaults: { enabled: true, windowMinutes: 12 * 60 },
  windowMs: (c) => minutesToMs(c.windowMinutes),

  evaluate(event, history, config): RuleHit | undefined {
    const { session } = event;
    const ua = event.enrichment.userAgent;
    const network = event.enrichment.network;
    if (session === undefined || ua === undefined || network === undefined || event.type === 'login.succeeded') return undefined;
    if (ua.browser === undefined && ua.os === undefined) return undefined;
    const client = clientOf(ua);
    const t = event.occurredAt;
    const earlier = history
      .forUser(event.user, t - minutesToMs(config.windowMinutes), t)
      .filter((e) => e.session === session && e.id !== event.id && e.client !== undefined && e.network !== undefined);
    if (earlier.length === 0) return undefined;
    // Only the session's first client and network count as its own: once hijacked, the thief's
    // events must not become what the session "was".
    const first = earlier[0] as PastEvent;
    if (first.network === network) return undefined;
    const otherDevice = first.device !== undefined && event.device !== undefined && first.device !== event.device;
    if (first.client === client && !otherDevice) return undefined;

    const country = event.enrichment.geo?.country;
    return {
      severity: 'high',
      message: `Session used from ${event.ip ?? network}${country ? ` (${country})` : ''} with ${ua.summary}${otherDevice ? ` on device ${event.device}` : ''}, ${formatDuration(t - first.occurredAt)} after it began from ${first.ip ?? first.network}${first.country ? ` (${first.country})` : ''} ${first.client === client ? `on device ${first.device}` : 'with another browser'}`,
      evidence: {
        session,
        network,
        client,
        country: country ?? null,
        sessionNetwork: first.network ?? null,
        sessionClient: first.client ?? null,
        device: event.device ?? null,
        sessionDevice: first.device ?? null,
        sessionCountry: first.country ?? null,
        sessionStartedAt: new Date(first.occurredAt).toISOString(),
      },
      relatedEventIds: earlier.slice(-20).map((e) => e.id),
      suggestedActions: ['confirm_with_user_by_otp', 'reset_password', 'review_device'],
    };
  },
};
