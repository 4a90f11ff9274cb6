import type { DetectionEvent, UserAgentInfo } from '../domain/activity-event.js';
import type { EventType } from '../domain/event-schema.js';
import type { Severity } from '../domain/severity.js';

/** The compact copy of an earlier event that detection keeps in memory. */
export interface PastEvent {
  readonly id: string;
  readonly type: EventType;
  readonly user: string;
  readonly occurredAt: number;
  readonly session?: string | undefined;
  readonly device?: string | undefined;
  readonly ip?: string | undefined;
  readonly network?: string | undefined;
  readonly country?: string | undefined;
  readonly city?: string | undefined;
  readonly latitude?: number | undefined;
  readonly longitude?: number | undefined;
  readonly accuracyKm?: number | undefined;
  readonly amount?: number | undefined;
  readonly currency?: string | undefined;
  readonly merchant?: string | undefined;
  readonly paymentMethod?: string | undefined;
  /** Merchant category, from the event's `attributes.merchantCategory`, when the shop sends one. */
  readonly category?: string | undefined;
  readonly path?: string | undefined;
  readonly userAgent?: string | undefined;
  /** The parsed user agent (shared between events: the enricher caches them), for what a session keeps. */
  readonly ua?: UserAgentInfo | undefined;
  readonly newDevice?: boolean | null | undefined;
  readonly newCountry?: boolean | null | undefined;
  /**
   * The event came from a device the account does not trust yet (first seen recently and never
   * proven by a code or "this was me"), as enrichment judged it then; undefined when unknown.
   */
  readonly untrustedSource?: boolean | undefined;
  /** How long before this event its device was first seen by the account (familiarity). */
  readonly deviceAgeMs?: number | undefined;
  /** The event's network is not one the account trusts (or it carried no public address); undefined when unknown. */
  readonly untrustedNetwork?: boolean | undefined;
}

/**
 * What an earlier event of a user earned: kept per user so that the risk of a story (a suspicious
 * login, then a credential change, then money moving) carries to the events that follow it.
 */
export interface StoryMark {
  readonly eventId: string;
  readonly type: EventType;
  readonly occurredAt: number;
  readonly risk: number;
  readonly severity: Exclude<Severity, 'none'>;
  /** The strongest finding's rule and message, for the later event's reason. */
  readonly rule: string;
  readonly message: string;
  readonly session?: string | undefined;
  readonly device?: string | undefined;
  readonly alertId?: string | undefined;
}

/** Typical amounts across all accounts, for accounts with too little history of their own. */
export interface PopulationBaseline {
  /** Median amount in the currency (and category, when given) over recent transactions of every account. */
  readonly median: number;
  /** How many recent transactions it is taken over. */
  readonly samples: number;
}

/**
 * Read-only view of earlier events, by event time. Windows are `[from, to]` on `occurredAt`, so a
 * late event is judged against what happened before it, and replaying history in order gives the
 * same findings as live traffic. The event being scored is not in the history yet.
 */
export interface History {
  forUser(user: string, from: number, to: number): readonly PastEvent[];
  forIp(ip: string, from: number, to: number): readonly PastEvent[];
  forDevice(device: string, from: number, to: number): readonly PastEvent[];
  /** Amounts of this user's transactions in this currency before `before`, oldest first (at most 100). */
  transactionAmounts(user: string, currency: string, before: number): readonly number[];
  /** What earlier events of this user earned, by event time (live findings only). */
  storyOf?(user: string, from: number, to: number): readonly StoryMark[];
  /** The population's typical transaction in this currency (and category); undefined until enough are seen. */
  populationAmount?(currency: string, category?: string): PopulationBaseline | undefined;
  /** What the account's owner said of this device, IP or country after an alert, if anything. */
  trustOf(user: string, kind: TrustKind, value: string): TrustVerdict | undefined;
  /**
   * What the account usually does, over longer than the windows (its usual login hours, last login,
   * merchants), for the behaviour-anomaly features; undefined when nothing is known of it.
   */
  profileOf?(user: string): BehaviourProfile | undefined;
}

/**
 * The long-term habits of one account, in bounded memory: built from its successful logins and
 * transactions as they are recorded, and from the last 90 days of them at start.
 */
export interface BehaviourProfile {
  /** Minutes past midnight (UTC) of its latest successful logins, at most PROFILE_LOGINS, in no order. */
  readonly loginMinutes: ArrayLike<number>;
  /** Successful logins recorded, all told. */
  readonly logins: number;
  /** Its latest successful login by event time. */
  readonly lastLogin: PastEvent | undefined;
  /** Transactions recorded, all told. */
  readonly transactions: number;
  /** When its latest transaction happened (event time). */
  readonly lastTransactionAt: number | undefined;
  /** Merchants of its latest transactions, distinct, most recent last (at most PROFILE_MERCHANTS). */
  readonly merchants: readonly string[];
}

/** Logins whose hours make an account's usual hours: about a month of daily use. */
export const PROFILE_LOGINS = 32;
/** Merchants remembered per account: enough for "new merchant" on an ordinary shopper. */
export const PROFILE_MERCHANTS = 16;

export type TrustKind = 'device' | 'ip' | 'country';
/** `trusted` after "this was me" on an alert, `untrusted` after "this wasn't me". */
export interface TrustVerdict {
  readonly trust: 'trusted' | 'untrusted';
  readonly alertId?: string;
}

/**
 * "Chrome 124/Android 14": browser and operating system with their major versions, what one browser
 * keeps for the length of a session. A different one in the same session is another browser.
 */
export const clientOf = (ua: UserAgentInfo): string =>
  `${ua.browser ?? '?'} ${ua.browserVersion ?? ''}/${ua.os ?? '?'} ${majorOf(ua.osVersion)}`;

/** Whether two user agents are the same client (see clientOf), without building either text. */
export function sameClient(a: UserAgentInfo, b: UserAgentInfo): boolean {
  if (a === b) return true;
  return a.browser === b.browser && a.browserVersion === b.browserVersion && a.os === b.os && majorOf(a.osVersion) === majorOf(b.osVersion);
}

const majorOf = (version: string | undefined): string => {
  if (version === undefined) return '';
  const dot = version.indexOf('.');
  return dot === -1 ? version : version.slice(0, dot);
};

/**
 * An event as a PastEvent, read through from the event and its enrichment rather than copied: what
 * detection hands MemoryHistory (record, adopt, recordSource, the amounts and profiles of a start),
 * which keeps a compact form of its own (StoredEvent) or only a few numbers and texts, and reads this
 * once. The copy that toPastEvent makes is an object of up to two dozen fields per event, all garbage
 * the moment the compact form exists. Answers exactly as toPastEvent's copy does; never kept, since
 * it holds the whole event. It implements every field (`Required`): a field added to PastEvent does
 * not compile until the view answers it too.
 */
export class DetectionEventView implements Required<PastEvent> {
  constructor(private readonly e: DetectionEvent) {}

  get id(): string {
    return this.e.id;
  }
  get type(): EventType {
    return this.e.type;
  }
  get user(): string {
    return this.e.user;
  }
  get occurredAt(): number {
    return this.e.occurredAt;
  }
  get session(): string | undefined {
    return this.e.session;
  }
  get device(): string | undefined {
    return this.e.device;
  }
  get ip(): string | undefined {
    return this.e.ip;
  }
  get network(): string | undefined {
    return this.e.enrichment.network;
  }
  get country(): string | undefined {
    return this.e.enrichment.geo?.country;
  }
  get city(): string | undefined {
    return this.e.enrichment.geo?.city;
  }
  get latitude(): number | undefined {
    return this.e.enrichment.geo?.latitude;
  }
  get longitude(): number | undefined {
    return this.e.enrichment.geo?.longitude;
  }
  get accuracyKm(): number | undefined {
    return this.e.enrichment.geo?.accuracyKm;
  }
  get amount(): number | undefined {
    return this.e.amount;
  }
  get currency(): string | undefined {
    return this.e.currency;
  }
  get merchant(): string | undefined {
    return this.e.merchant;
  }
  get paymentMethod(): string | undefined {
    return this.e.paymentMethod;
  }
  get category(): string | undefined {
    return categoryOf(this.e);
  }
  get path(): string | undefined {
    return this.e.path;
  }
  get userAgent(): string | undefined {
    return this.e.userAgent;
  }
  get ua(): UserAgentInfo | undefined {
    return this.e.enrichment.userAgent;
  }
  get newDevice(): boolean | null | undefined {
    return this.e.enrichment.novelty.newDevice;
  }
  get newCountry(): boolean | null | undefined {
    return this.e.enrichment.novelty.newCountry;
  }
  get untrustedSource(): boolean | undefined {
    const device = this.e.enrichment.familiarity?.device;
    return device ? !device.trusted : undefined;
  }
  get deviceAgeMs(): number | undefined {
    const device = this.e.enrichment.familiarity?.device;
    return device ? device.ageMs : undefined;
  }
  get untrustedNetwork(): boolean | undefined {
    const familiarity = this.e.enrichment.familiarity;
    return familiarity ? familiarity.network?.trusted !== true : undefined;
  }
}

/** The merchant category a transaction's attributes name, when it is a plausible one. */
function categoryOf(e: DetectionEvent): string | undefined {
  const category = e.attributes?.merchantCategory;
  return typeof category === 'string' && category.length > 0 && category.length <= 64 ? category : undefined;
}

/**
 * The event as a plain PastEvent of its own, detached from the event: for what keeps one (the rules'
 * test histories, the memory bench); detection itself reads through DetectionEventView.
 */
export function toPastEvent(e: DetectionEvent): PastEvent {
  const geo = e.enrichment.geo;
  // Assigned field by field: conditional spreads allocate.
  const p: { -readonly [K in keyof PastEvent]: PastEvent[K] } = {
    id: e.id,
    type: e.type,
    user: e.user,
    occurredAt: e.occurredAt,
    newDevice: e.enrichment.novelty.newDevice,
    newCountry: e.enrichment.novelty.newCountry,
  };
  if (e.session !== undefined) p.session = e.session;
  if (e.device !== undefined) p.device = e.device;
  if (e.ip !== undefined) p.ip = e.ip;
  if (e.enrichment.network !== undefined) p.network = e.enrichment.network;
  if (geo?.country !== undefined) p.country = geo.country;
  if (geo?.city !== undefined) p.city = geo.city;
  if (geo?.latitude !== undefined) p.latitude = geo.latitude;
  if (geo?.longitude !== undefined) p.longitude = geo.longitude;
  if (geo?.accuracyKm !== undefined) p.accuracyKm = geo.accuracyKm;
  if (e.amount !== undefined) p.amount = e.amount;
  if (e.currency !== undefined) p.currency = e.currency;
  if (e.merchant !== undefined) p.merchant = e.merchant;
  if (e.paymentMethod !== undefined) p.paymentMethod = e.paymentMethod;
  const category = categoryOf(e);
  if (category !== undefined) p.category = category;
  if (e.path !== undefined) p.path = e.path;
  if (e.userAgent !== undefined) p.userAgent = e.userAgent;
  if (e.enrichment.userAgent !== undefined) p.ua = e.enrichment.userAgent;
  const device = e.enrichment.familiarity?.device;
  if (device) {
    p.untrustedSource = !device.trusted;
    p.deviceAgeMs = device.ageMs;
  }
  const familiarity = e.enrichment.familiarity;
  if (familiarity) p.untrustedNetwork = familiarity.network?.trusted !== true;
  return p;
}
