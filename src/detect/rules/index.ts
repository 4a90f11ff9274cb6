import type { Rule } from '../rule.js';
import { accountTakeoverChainRule } from './account-takeover-chain.js';
import { cardTestingRule } from './card-testing.js';
import { credentialStuffingRule } from './credential-stuffing.js';
import { disownedSourceRule } from './disowned-source.js';
import { failedLoginBurstRule } from './failed-login-burst.js';
import { frequentCredentialChangesRule } from './frequent-credential-changes.js';
import { impossibleTravelRule } from './impossible-travel.js';
import { largeTransactionRule } from './large-transaction.js';
import { loginAfterFailuresRule } from './login-after-failures.js';
import { newLoginContextRule } from './new-login-context.js';
import { suspiciousBrowsingRule } from './suspicious-browsing.js';
import { transactionVelocityRule } from './transaction-velocity.js';

/** The built-in rules, in the order they are evaluated. */
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
  suspiciousBrowsingRule,
  frequentCredentialChangesRule,
  disownedSourceRule,
];
