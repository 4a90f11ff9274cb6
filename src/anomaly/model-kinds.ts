/**
 * The kinds of behaviour model and their input columns: what the model registry stores and checks
 * a model against, and what detection's behaviour features (detect/behaviour-features.ts) compute.
 */

export const MODEL_KINDS = ['login', 'transaction'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/** The features of each kind of model, in the order of the model's input columns. Never reorder: stored models rely on it. */
export const FEATURES = {
  login: [
    'hoursFromUsual',
    'newDevice',
    'newCountry',
    'newNetwork',
    'kmFromLastLogin',
    'kmhFromLastLogin',
    'failuresInHourBefore',
    'userAgentChanged',
  ],
  transaction: ['amountToUsual', 'hoursSinceLastTransaction', 'newMerchant', 'newDevice'],
} as const satisfies Record<ModelKind, readonly string[]>;
export type FeatureName = (typeof FEATURES)[ModelKind][number];

/** What all accounts do, learnt at training and stored in the model's parameters. */
export interface PopulationBaseline {
  /** Successful logins per hour of the day (UTC), 24 counts. */
  readonly loginHours: readonly number[];
  /** Median transaction amount per currency. */
  readonly medianAmounts: Readonly<Record<string, number>>;
}

export const EMPTY_BASELINE: PopulationBaseline = { loginHours: new Array(24).fill(0), medianAmounts: {} };
