import { type Static, Type } from '@sinclair/typebox';
import type { SuggestedAction } from '../../domain/alert.js';
import type { Rule, RuleHit } from '../rule.js';
import { formatWindow, minutesToMs, plural, relatedIds } from './format.js';

export const SENSITIVE_PATHS = [
  '/admin',
  '/wp-admin',
  '/wp-login',
  '/.env',
  '/.git',
  '/phpmyadmin',
  '/config',
  '/server-status',
  '../',
  '%2e%2e',
] as const;

export const SuspiciousBrowsingConfigSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    sensitivePaths: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
      maxItems: 200,
      description:
        'Path fragments that only a scanner visits, matched case-insensitively anywhere in the path. A fragment ending in a letter or digit must end there: /admin matches /admin, /admin/users and /api/admin.php, not /administration.',
    }),
    windowMinutes: Type.Integer({
      minimum: 1,
      maximum: 15,
      description: 'How far back page views are counted (detection history keeps page views for 15 minutes).',
    }),
    maxViews: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      description:
        'Page views in one session (or by one user without a session) in the window, this one included, above which the rule fires.',
    }),
  },
  { additionalProperties: false },
);
export type SuspiciousBrowsingConfig = Static<typeof SuspiciousBrowsingConfigSchema>;

/**
 * Browsing no person does: probing paths that exist only on misconfigured servers (admin panels,
 * dotfiles, path traversal), or pages requested faster than anyone reads them.
 */
export const suspiciousBrowsingRule: Rule<SuspiciousBrowsingConfig> = {
  id: 'suspicious-browsing',
  title: 'Suspicious browsing',
  description: 'Page views probing sensitive paths (admin panels, dotfiles, path traversal), or too many page views in a minute.',
  alertType: 'security',
  configSchema: SuspiciousBrowsingConfigSchema,
  defaults: { enabled: true, sensitivePaths: [...SENSITIVE_PATHS], windowMinutes: 1, maxViews: 60 },
  windowMs: (c) => minutesToMs(c.windowMinutes),

  evaluate(event, history, config): RuleHit | undefined {
    if (event.type !== 'page.viewed') return undefined;
    const probed = event.path === undefined ? undefined : sensitiveMatch(event.path, config.sensitivePaths);

    const t = event.occurredAt;
    const { session } = event;
    const views = history
      .forUser(event.user, t - minutesToMs(config.windowMinutes), t)
      .filter((e) => e.type === 'page.viewed' && (session === undefined || e.session === session));
    const count = views.length + 1;
    const tooFast = count > config.maxViews;
    if (probed === undefined && !tooFast) return undefined;

    const parts: string[] = [];
    if (probed !== undefined) parts.push(`Probing sensitive path ${event.path}`);
    if (tooFast) {
      const where = session === undefined ? 'by this user' : 'in one session';
      parts.push(`${plural(count, 'page view')} in ${formatWindow(config.windowMinutes)} ${where}`);
    }
    const actions: SuggestedAction[] = event.ip !== undefined ? ['block_ip'] : [];
    return {
      severity: 'medium',
      message: parts.join('; '),
      evidence: {
        path: event.path ?? null,
        matched: probed ?? null,
        pageViews: count,
        maxViews: config.maxViews,
        windowMinutes: config.windowMinutes,
        session: session ?? null,
        ip: event.ip ?? null,
      },
      ...(tooFast && { relatedEventIds: relatedIds(views) }),
      ...(actions.length > 0 && { suggestedActions: actions }),
    };
  },
};

/** The first sensitive fragment found in the path as sent or percent-decoded, if any. */
export function sensitiveMatch(path: string, fragments: readonly string[]): string | undefined {
  const raw = path.toLowerCase();
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // Malformed escapes (a scanner's favourite) are matched as sent.
  }
  // What was sent first, so that the fragment reported is the one visible in the path.
  for (const f of fragments) if (occursAt(raw, f.toLowerCase())) return f;
  if (decoded !== raw) for (const f of fragments) if (occursAt(decoded, f.toLowerCase())) return f;
  return undefined;
}

/** Whether the fragment occurs in the path and, if it ends in a letter or digit, is not part of a longer name there. */
function occursAt(path: string, fragment: string): boolean {
  const open = /[a-z0-9]$/.test(fragment);
  for (let i = path.indexOf(fragment); i !== -1; i = path.indexOf(fragment, i + 1)) {
    if (!open) return true;
    const next = path[i + fragment.length];
    if (next === undefined || !/[a-z0-9_-]/.test(next)) return true;
  }
  return false;
}
