import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Problem } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import type { HitSeverity } from '../domain/alert.js';
import { RESPONSE_ACTIONS, type ResponseAction } from '../domain/response.js';

const HIT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

export const PolicyEntrySchema = Type.Object(
  {
    severity: Type.Union(HIT_SEVERITIES.map((s) => Type.Literal(s))),
    rule: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Only alerts this rule took part in.' })),
    actions: Type.Array(Type.Union(RESPONSE_ACTIONS.map((a) => Type.Literal(a))), { uniqueItems: true }),
  },
  { additionalProperties: false },
);
export const ResponsePolicySchema = Type.Array(PolicyEntrySchema, { maxItems: 200 });
export type PolicyEntry = Static<typeof PolicyEntrySchema>;
export type ResponsePolicy = readonly PolicyEntry[];

/**
 * The defaults of issue 4. High locks what moves money or takes an account over and sends the owner a
 * code to unlock; critical locks everything and calls the admins, and only an admin unlocks, because a
 * critical chain (a password or email change, then spending) means the attacker may read the mailbox
 * the code would go to. Medium tells the owner, so that they can say "this wasn't me".
 */
export const DEFAULT_RESPONSE_POLICY: ResponsePolicy = [
  { severity: 'medium', actions: ['notify_user'] },
  { severity: 'high', actions: ['lock_sensitive', 'send_unlock_code'] },
  { severity: 'critical', actions: ['lock_full', 'notify_admins'] },
];

/**
 * The actions for an alert of this severity. Entries naming one of the alert's rules win over the
 * general entries of the same severity, so one noisy rule can be told to only notify.
 */
export function actionsFor(policy: ResponsePolicy, severity: HitSeverity, ruleIds: readonly string[]): readonly ResponseAction[] {
  const specific = policy.filter((e) => e.severity === severity && e.rule !== undefined && ruleIds.includes(e.rule));
  const chosen = specific.length > 0 ? specific : policy.filter((e) => e.severity === severity && e.rule === undefined);
  const actions = [...new Set(chosen.flatMap((e) => e.actions))];
  // Failed logins alone never lock (Keycloak's and Auth0's advice): anyone can fail a login in
  // someone else's name, and a lock they could cause at will would be theirs to use against the owner.
  if (ruleIds.length > 0 && ruleIds.every((id) => OUTSIDER_CAUSED_RULES.has(id))) return actions.filter((a) => !LOCKING.has(a));
  return actions;
}

/** Rules whose findings an outsider can cause in another person's name: failed logins. */
export const OUTSIDER_CAUSED_RULES: ReadonlySet<string> = new Set(['failed-login-burst', 'credential-stuffing']);
const LOCKING: ReadonlySet<ResponseAction> = new Set(['lock_sensitive', 'lock_full', 'send_unlock_code']);

/** Parses VIGIL_RESPONSE_POLICY: a JSON array of `{severity, rule?, actions}`. */
export function parseResponsePolicy(json: string | undefined): Result<ResponsePolicy, Problem> {
  if (json === undefined) return ok(DEFAULT_RESPONSE_POLICY);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    return err({ code: 'invalid_body', message: `is not JSON: ${(error as Error).message}` });
  }
  const first = Value.Errors(ResponsePolicySchema, value).First();
  if (first) return err({ code: 'invalid_body', message: `${first.path || '/'}: ${first.message}`, path: first.path });
  return ok(value as ResponsePolicy);
}
