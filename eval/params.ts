/** A flight the travellers take: both ways, on a phone they already use. */
export interface Route {
  readonly from: string;
  readonly to: string;
  /** Door-to-door hours from the last login at home to the first one at the destination, before airport time. */
  readonly hours: readonly [number, number];
}

/** Everything a corpus is generated from; `seed` and these numbers fix it completely. */
export interface CorpusParams {
  readonly name: string;
  readonly seed: number;
  readonly users: number;
  readonly days: number;
  /** The first day, 00:00 UTC. */
  readonly start: string;
  readonly storiesPerKind: number;
  /** Where shoppers live, with weights; attackers come from any of these countries. */
  readonly countries: readonly (readonly [string, number])[];
  readonly routes: readonly Route[];
  readonly population: {
    /** Per-user chance of activity on a day is drawn from this range. */
    readonly activeRate: readonly [number, number];
    readonly buyRate: readonly [number, number];
    /** Log-space spread of users' median baskets around the country's, and of one user's baskets around theirs. */
    readonly basketSpreadUsers: number;
    readonly basketSpreadUser: number;
    /** Chance that a purchase is a large legitimate one (3–8×), and a very large one (15×). */
    readonly largePurchase: number;
    readonly veryLargePurchase: number;
    readonly typoPerLogin: number;
    readonly phoneReplaced: number;
    readonly passwordReset: number;
    readonly emailChanged: number;
    readonly paymentMethodChanged: number;
    readonly mfaEnabled: number;
    readonly sharedDevice: number;
    readonly travellers: number;
  };
  /** Timing and amount ranges of the attack stories (minutes unless named otherwise). */
  readonly attack: {
    readonly changeAfterLoginMin: readonly [number, number];
    readonly purchaseAfterChangeMin: readonly [number, number];
    readonly secondLoginAfterChangeMin: readonly [number, number];
    readonly largePurchaseAfterLoginMin: readonly [number, number];
    readonly largePurchaseMultiple: readonly [number, number];
    readonly hijackAfterVictimMin: readonly [number, number];
    readonly bruteForceAttempts: readonly [number, number];
    readonly bruteForceGapSec: readonly [number, number];
    readonly bruteThenSuccessAttempts: readonly [number, number];
    readonly stuffingAccounts: readonly [number, number];
    readonly stuffingGapSec: readonly [number, number];
    readonly cardTestingAttempts: readonly [number, number];
    readonly cardTestingGapSec: readonly [number, number];
    readonly impossibleTravelGapMin: readonly [number, number];
    readonly churnChanges: readonly [number, number];
    readonly churnGapMin: readonly [number, number];
  };
}

/** The tuning corpus: what the rules may be tuned against. */
export const TUNING: CorpusParams = {
  name: 'tuning',
  seed: 1,
  users: 2000,
  days: 30,
  start: '2026-03-02T00:00:00Z',
  storiesPerKind: 40,
  countries: [
    ['FR', 18],
    ['DE', 18],
    ['GB', 16],
    ['US', 18],
    ['ES', 8],
    ['IT', 8],
    ['NL', 6],
    ['JP', 5],
    ['AU', 3],
  ],
  routes: [
    { from: 'FR', to: 'JP', hours: [12, 14] },
    { from: 'DE', to: 'US', hours: [9, 11] },
    { from: 'GB', to: 'AU', hours: [22, 24] },
    { from: 'US', to: 'FR', hours: [8, 11] },
    { from: 'IT', to: 'GB', hours: [2.5, 3.5] },
  ],
  population: {
    activeRate: [0.25, 0.85],
    buyRate: [0.05, 0.3],
    basketSpreadUsers: 0.6,
    basketSpreadUser: 0.35,
    largePurchase: 0.02,
    veryLargePurchase: 0.002,
    typoPerLogin: 0.03,
    phoneReplaced: 0.03,
    passwordReset: 0.02,
    emailChanged: 0.01,
    paymentMethodChanged: 0.03,
    mfaEnabled: 0.02,
    sharedDevice: 0.03,
    travellers: 0.04,
  },
  attack: {
    changeAfterLoginMin: [2, 5],
    purchaseAfterChangeMin: [3, 15],
    secondLoginAfterChangeMin: [5, 60],
    largePurchaseAfterLoginMin: [2, 10],
    largePurchaseMultiple: [20, 40],
    hijackAfterVictimMin: [1, 20],
    bruteForceAttempts: [12, 60],
    bruteForceGapSec: [3, 40],
    bruteThenSuccessAttempts: [6, 25],
    stuffingAccounts: [12, 60],
    stuffingGapSec: [1, 8],
    cardTestingAttempts: [6, 20],
    cardTestingGapSec: [8, 60],
    impossibleTravelGapMin: [10, 90],
    churnChanges: [4, 7],
    churnGapMin: [1, 20],
  },
};

/**
 * The held-out corpus: another seed, population, mix of countries and currencies, and timing ranges
 * (still realistic). Never tune against it: it says whether tuning generalised.
 */
export const HELD_OUT: CorpusParams = {
  name: 'held-out',
  seed: 7919,
  users: 1500,
  days: 28,
  start: '2026-05-04T00:00:00Z',
  storiesPerKind: 40,
  countries: [
    ['US', 20],
    ['CA', 10],
    ['BR', 12],
    ['GB', 12],
    ['PL', 10],
    ['SE', 8],
    ['IN', 12],
    ['PT', 6],
    ['AU', 5],
    ['JP', 5],
  ],
  routes: [
    { from: 'US', to: 'GB', hours: [7, 11] },
    { from: 'BR', to: 'PT', hours: [9, 11] },
    { from: 'IN', to: 'GB', hours: [9.5, 11] },
    { from: 'AU', to: 'JP', hours: [9, 11] },
    { from: 'CA', to: 'JP', hours: [11, 13.5] },
    { from: 'SE', to: 'US', hours: [9, 12] },
  ],
  population: {
    activeRate: [0.2, 0.9],
    buyRate: [0.04, 0.35],
    basketSpreadUsers: 0.7,
    basketSpreadUser: 0.4,
    largePurchase: 0.025,
    veryLargePurchase: 0.003,
    typoPerLogin: 0.04,
    phoneReplaced: 0.04,
    passwordReset: 0.025,
    emailChanged: 0.015,
    paymentMethodChanged: 0.04,
    mfaEnabled: 0.03,
    sharedDevice: 0.04,
    travellers: 0.05,
  },
  attack: {
    changeAfterLoginMin: [1, 8],
    purchaseAfterChangeMin: [2, 25],
    secondLoginAfterChangeMin: [3, 90],
    largePurchaseAfterLoginMin: [1, 15],
    largePurchaseMultiple: [20, 45],
    hijackAfterVictimMin: [2, 30],
    bruteForceAttempts: [10, 80],
    bruteForceGapSec: [2, 60],
    bruteThenSuccessAttempts: [5, 30],
    stuffingAccounts: [10, 90],
    stuffingGapSec: [0.5, 12],
    cardTestingAttempts: [5, 25],
    cardTestingGapSec: [5, 90],
    impossibleTravelGapMin: [5, 120],
    churnChanges: [4, 8],
    churnGapMin: [1, 30],
  },
};

/**
 * The held-out parameters with a seed that was first run only after every change of issue 14 was
 * made: the held-out corpus had been looked at once (its results informed the takeover window), so
 * this one is the check nobody tuned on. Replace its seed whenever tuning has looked at its results.
 */
export const FRESH: CorpusParams = { ...HELD_OUT, name: 'fresh', seed: 31337 };
