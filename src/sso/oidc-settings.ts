import { isStaffRole, type StaffRole } from '../auth/api-keys.js';
import { err, ok, type Result } from '../core/result.js';
import { STAFF_ROLES } from '../domain/vocabulary.js';

/** Single sign-on for staff with an OpenID Connect provider, from VIGIL_OIDC_* (see README, "Single sign-on"). */
export interface OidcSettings {
  /** VIGIL_OIDC_ISSUER: the provider's issuer URL; its discovery document is at `/.well-known/openid-configuration`. */
  readonly issuer: URL;
  readonly clientId: string;
  /** Never logged, never in a response. */
  readonly clientSecret: string;
  /** VIGIL_OIDC_REDIRECT_URL: Vigil's `/v1/session/oidc/callback` as the provider reaches it back (registered there). */
  readonly redirectUrl: URL;
  /** VIGIL_OIDC_ROLE_CLAIM (default `groups`): the claim, a string or a list of strings, that names the person's groups. */
  readonly roleClaim: string;
  /** VIGIL_OIDC_ROLES: claim value → staff role; a person in several groups gets the strongest role. */
  readonly roles: ReadonlyMap<string, StaffRole>;
  /** VIGIL_OIDC_SCOPES (default `openid email profile`): `openid` is always asked for. */
  readonly scopes: string;
  /**
   * VIGIL_OIDC_ALLOW_INTERNAL_ISSUER=true: the issuer may be on a loopback or private address and
   * plain http (a provider inside the network, or tests). Off by default: like webhooks, Vigil then
   * talks only to public addresses, over https.
   */
  readonly allowInternalIssuer: boolean;
  /** VIGIL_OIDC_LABEL (default `Single sign-on`): the sign-in button's text. */
  readonly label: string;
}

export interface SettingsError {
  readonly variable: string;
  readonly message: string;
}

const VARIABLES = [
  'VIGIL_OIDC_ISSUER',
  'VIGIL_OIDC_CLIENT_ID',
  'VIGIL_OIDC_CLIENT_SECRET',
  'VIGIL_OIDC_REDIRECT_URL',
  'VIGIL_OIDC_ROLES',
] as const;

/**
 * Reads VIGIL_OIDC_*: undefined when single sign-on is off (no VIGIL_OIDC_ISSUER), an error naming
 * the variable when it is half configured or a value is wrong, so a mistake stops the boot instead of
 * the first sign-in.
 */
export function parseOidcSettings(env: Readonly<Record<string, string | undefined>>): Result<OidcSettings | undefined, SettingsError> {
  const value = (name: string) => env[name]?.trim() || undefined;
  if (value('VIGIL_OIDC_ISSUER') === undefined) {
    const stray = Object.keys(env).find((k) => k.startsWith('VIGIL_OIDC_') && value(k) !== undefined);
    return stray === undefined ? ok(undefined) : err({ variable: 'VIGIL_OIDC_ISSUER', message: `is needed when ${stray} is set.` });
  }
  const missing = VARIABLES.find((v) => value(v) === undefined);
  if (missing) return err({ variable: missing, message: 'is needed for single sign-on (VIGIL_OIDC_ISSUER is set).' });

  const allowInternalIssuer = value('VIGIL_OIDC_ALLOW_INTERNAL_ISSUER') === 'true';
  const internalFlag = value('VIGIL_OIDC_ALLOW_INTERNAL_ISSUER');
  if (internalFlag !== undefined && internalFlag !== 'true' && internalFlag !== 'false') {
    return err({ variable: 'VIGIL_OIDC_ALLOW_INTERNAL_ISSUER', message: 'must be true or false.' });
  }
  const issuer = parseUrl(value('VIGIL_OIDC_ISSUER') as string);
  if (!issuer || issuer.search || issuer.hash)
    return err({ variable: 'VIGIL_OIDC_ISSUER', message: 'must be an http(s) URL without query.' });
  if (issuer.protocol !== 'https:' && !(allowInternalIssuer && issuer.protocol === 'http:')) {
    return err({ variable: 'VIGIL_OIDC_ISSUER', message: 'must be https (http only with VIGIL_OIDC_ALLOW_INTERNAL_ISSUER=true).' });
  }
  const redirectUrl = parseUrl(value('VIGIL_OIDC_REDIRECT_URL') as string);
  if (!redirectUrl?.pathname.endsWith('/v1/session/oidc/callback')) {
    return err({ variable: 'VIGIL_OIDC_REDIRECT_URL', message: 'must be an http(s) URL ending in /v1/session/oidc/callback.' });
  }
  const roles = parseRoles(value('VIGIL_OIDC_ROLES') as string);
  if (!roles.ok) return err({ variable: 'VIGIL_OIDC_ROLES', message: roles.error });
  const roleClaim = value('VIGIL_OIDC_ROLE_CLAIM') ?? 'groups';
  if (!/^[\w.:-]{1,100}$/.test(roleClaim)) return err({ variable: 'VIGIL_OIDC_ROLE_CLAIM', message: 'must be a claim name.' });
  const scopes = new Set((value('VIGIL_OIDC_SCOPES') ?? 'openid email profile').split(/\s+/));
  scopes.add('openid');
  return ok({
    issuer,
    clientId: value('VIGIL_OIDC_CLIENT_ID') as string,
    clientSecret: value('VIGIL_OIDC_CLIENT_SECRET') as string,
    redirectUrl,
    roleClaim,
    roles: roles.value,
    scopes: [...scopes].join(' '),
    allowInternalIssuer,
    label: (value('VIGIL_OIDC_LABEL') ?? 'Single sign-on').slice(0, 60),
  });
}

/** `vigil-admins:admin,vigil-analysts:analyst`: the value may itself hold colons (`urn:x:admins:admin`), the role is after the last. */
function parseRoles(text: string): Result<ReadonlyMap<string, StaffRole>, string> {
  const roles = new Map<string, StaffRole>();
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const colon = entry.lastIndexOf(':');
    const claimValue = entry.slice(0, colon).trim();
    const role = entry.slice(colon + 1).trim();
    if (colon <= 0 || claimValue === '') return err(`"${entry}" is not value:role.`);
    if (!isStaffRole(role))
      return err(`"${role}" in "${entry}" is not one of ${STAFF_ROLES.join(', ')} (members sign in with a password).`);
    roles.set(claimValue, role);
  }
  if (roles.size === 0) return err('maps no claim value to a role, e.g. vigil-admins:admin,vigil-analysts:analyst.');
  return ok(roles);
}

function parseUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** The strongest role the claim's values map to, or undefined when none does. */
export function roleFromClaim(settings: Pick<OidcSettings, 'roles'>, claim: unknown): StaffRole | undefined {
  const values = typeof claim === 'string' ? [claim] : Array.isArray(claim) ? claim.filter((v): v is string => typeof v === 'string') : [];
  let best: StaffRole | undefined;
  for (const v of values) {
    const role = settings.roles.get(v);
    if (role && (best === undefined || STAFF_ROLES.indexOf(role) > STAFF_ROLES.indexOf(best))) best = role;
  }
  return best;
}
