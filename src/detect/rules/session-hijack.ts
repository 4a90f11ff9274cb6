import { type Static, Type } from '@sinclair/typebox';
import type { UserAgentInfo } from '../../domain/activity-event.js';
import { clientOf, type PastEvent, sameClient } from '../history.js';
import type { Rule, RuleHit } from '../rule.js';
import { isEventOf } from '../stored-event.js';
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
    const t = event.occurredAt;
    const recent = history.forUser(event.user, t - minutesToMs(config.windowMinutes), t);
    // Only the session's first client and network count as its own: once hijacked, the thief's
    // events must not become what the session "was".
    let first: PastEvent | undefined;
    for (const e of recent) {
      if (e.session === session && !isEventOf(e, event.id) && e.ua !== undefined && e.network !== undefined) {
        first = e;
        break;
      }
    }
    if (first === undefined || first.network === network) return undefined;
    const otherDevice = first.device !== undefined && event.device !== undefined && first.device !== event.device;
    const firstUa = first.ua as UserAgentInfo;
    const same = sameClient(firstUa, ua);
    if (same && !otherDevice) return undefined;
    const client = clientOf(ua);
    const earlier = recent.filter((e) => e.session === session && !isEventOf(e, event.id));

    const country = event.enrichment.geo?.country;
    return {
      severity: 'high',
      message: `Session used from ${event.ip ?? network}${country ? ` (${country})` : ''} with ${ua.summary}${otherDevice ? ` on device ${event.device}` : ''}, ${formatDuration(t - first.occurredAt)} after it began from ${first.ip ?? first.network}${first.country ? ` (${first.country})` : ''} ${same ? `on device ${first.device}` : 'with another browser'}`,
      evidence: {
        session,
        network,
        client,
        country: country ?? null,
        sessionNetwork: first.network ?? null,
        sessionClient: clientOf(firstUa),
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
