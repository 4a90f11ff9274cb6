import type { Problem } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import type { TargetGuard } from './target-guard.js';

/**
 * A new target's URL, as an admin gives it for a webhook or a staff chat channel: http(s) only, no
 * user or password (it would be stored and shown where a credential does not belong), and a public
 * address unless allowed. Judged again at every attempt, by then-current DNS; a name that does not
 * resolve yet is let through here (the receiver may not be deployed yet), never an internal one.
 */
export async function checkTargetUrl(guard: TargetGuard, raw: string): Promise<Result<URL, Problem>> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return err({ code: 'invalid_body', message: 'url is not a valid absolute URL.', path: '/url' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return err({ code: 'invalid_body', message: `url must start with https:// or http:// (got ${url.protocol}).`, path: '/url' });
  }
  if (url.username !== '' || url.password !== '') {
    return err({ code: 'invalid_body', message: 'url must not contain a user name or password.', path: '/url' });
  }
  const target = await guard.vet(url);
  if (!target.ok && target.error.kind === 'not_allowed') {
    return err({
      code: 'webhook_target_not_allowed',
      message:
        'url must point to a public address: loopback, private, link-local and other internal or reserved addresses are refused ' +
        '(an admin can allow a range with VIGIL_WEBHOOK_ALLOW_CIDRS).',
      path: '/url',
    });
  }
  return ok(url);
}
