import type { ActiveModels } from '../../anomaly/model-registry.js';
import type { Rule } from '../rule.js';
import { accountTakeoverChainRule } from './account-takeover-chain.js';
import { behaviourAnomalyRule } from './behaviour-anomaly.js';
import { cardTestingRule } from './card-testing.js';
import { carriedRiskRule } from './carried-risk.js';
import { credentialStuffingRule } from './credential-stuffing.js';
import { disownedSourceRule } from './disowned-source.js';
import { failedLoginBurstRule } from './failed-login-burst.js';
import { frequentCredentialChangesRule } from './frequent-credential-changes.js';
import { impossibleTravelRule } from './impossible-travel.js';
import { largeTransactionRule } from './large-transaction.js';
import { loginAfterFailuresRule } from './login-after-failures.js';
import { newLoginContextRule } from './new-login-context.js';
import { sessionHijackRule } from './session-hijack.js';
import { suspiciousBrowsingRule } from './suspicious-browsing.js';
import { transactionVelocityRule } from './transaction-velocity.js';

/** The built-in rules that need only the event and its history, in the order they are evaluated; `builtinRules` adds the rest. */
export const BUILTIN_RULES: readonly Rule<any>[] = [
  failedLoginBurstRule,
  credentialStuffingRule,
  loginAfterFailuresRule,
  newLoginContextRule,
  impossibleTravelRule,
  largeTransactionRule,
  transactionVelocityRule,
  cardTestingRule,
  accountTakeoverChainRule,
  carriedRiskRule,
  sessionHijackRule,
  suspiciousBrowsingRule,
  frequentCredentialChangesRule,
  disownedSourceRule,
];

/** What the built-in rules that need the running system are built with. */
export interface RuleDependencies {
  /** The active anomaly models, read by behaviour-anomaly for every login and transaction. */
  readonly models: ActiveModels;
}

/**
 * Every built-in rule of a running Vigil: BUILTIN_RULES, then those built around a dependency the
 * composition root passes in (no module-level state: each system has its own models).
 */
export function builtinRules(deps: RuleDependencies): readonly Rule<any>[] {
  return [...BUILTIN_RULES, behaviourAnomalyRule(deps.models)];
}
