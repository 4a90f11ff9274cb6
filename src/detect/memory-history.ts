import { LRUCache } from 'lru-cache';
import {
  type BehaviourProfile,
  type History,
  type PastEvent,
  type PopulationBaseline,
  PROFILE_LOGINS,
  PROFILE_MERCHANTS,
  type StoryMark,
  type TrustKind,
  type TrustVerdict,
} from './history.js';
import { HOUR, MINUTE } from './rule.js';

export interface MemoryHistoryLimits {
  /** How long events are kept behind the newest one of their key: the longest rule window and a margin. */
  readonly retentionMs: number;
  /** Events kept per user, IP or device; the oldest go first. */
  readonly maxEventsPerKey: number;
  /** Users, IPs and devices tracked at once (each); the least recently active go first. */
  readonly maxKeys: number;
}

export const DEFAULT_LIMITS: MemoryHistoryLimits = { retentionMs: 25 * HOUR, maxEventsPerKey: 300, maxKeys: 100_000 };

/**
 * Page views are most of the traffic and only the browsing rule looks at them, over minutes: they
 * are kept this long, so that a user's timeline is not crowded with them.
 */
const PAGE_VIEW_RETENTION_MS = 15 * 60_000;
const COMPACT_ABOVE = 64;
const MAX_AMOUNTS = 100;

/** Events of one key, sorted by event time; late events are inserted in place. */
class Timeline {
  events: PastEvent[] = [];

  insert(e: PastEvent, limits: MemoryHistoryLimits): void {
    const list = this.events;
    let i = list.length;
    while (i > 0 && (list[i - 1] as PastEvent).occurredAt > e.occurredAt) i--;
    list.splice(i, 0, e);
    const newest = (list[list.length - 1] as PastEvent).occurredAt;
    let drop = 0;
    while (drop < list.length && (list[drop] as PastEvent).occurredAt < newest - limits.retentionMs) drop++;
    drop = Math.max(drop, list.length - limits.maxEventsPerKey);
    if (drop > 0) list.splice(0, drop);
    if (list.length > COMPACT_ABOVE && e.type === 'page.viewed') {
      const cutoff = newest - PAGE_VIEW_RETENTION_MS;
      let w = 0;
      for (const x of list) if (x.type !== 'page.viewed' || x.occurredAt >= cutoff) list[w++] = x;
      list.length = w;
    }
  }

  range(from: number, to: number): readonly PastEvent[] {
    const list = this.events;
    const lo = lowerBound(list, from);
    let hi = lo;
    while (hi < list.length && (list[hi] as PastEvent).occurredAt <= to) hi++;
    return list.slice(lo, hi);
  }
}

function lowerBound(list: readonly PastEvent[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as PastEvent).occurredAt < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Detection state in memory, bounded in size: recent events per user, IP and device, and recent
 * transaction amounts per user and currency. Scoring reads only this, never the database; it is
 * rebuilt from the store at start.
 */
export class MemoryHistory implements History {
  private readonly users: LRUCache<string, Timeline>;
  private readonly ips: LRUCache<string, Timeline>;
  private readonly devices: LRUCache<string, Timeline>;
  private readonly amounts: LRUCache<string, Array<{ at: number; amount: number }>>;
  /** Owners' verdicts on devices, IPs and countries: few (one per disputed or confirmed alert), kept whole. */
  private readonly trust = new Map<string, TrustVerdict>();
  /** Accounts' long-term habits, a few hundred bytes each, the least recently active dropped first. */
  private readonly profiles: LRUCache<string, Profile>;
  /** What users' recent events earned (only users with findings have any), for carried risk. */
  private readonly stories: LRUCache<string, StoryMark[]>;
  /** Recent amounts of every account per currency (and currency with category). */
  private readonly population = new Map<string, PopulationSample>();

  constructor(private readonly limits: MemoryHistoryLimits = DEFAULT_LIMITS) {
    this.users = new LRUCache({ max: limits.maxKeys });
    this.ips = new LRUCache({ max: limits.maxKeys });
    this.devices = new LRUCache({ max: limits.maxKeys });
    this.amounts = new LRUCache({ max: limits.maxKeys });
    this.profiles = new LRUCache({ max: limits.maxKeys });
    this.stories = new LRUCache({ max: limits.maxKeys });
  }

  /** Records what an event earned; kept for the retention period, at most MAX_MARKS per user. */
  recordMark(user: string, mark: StoryMark): void {
    let marks = this.stories.get(user);
    if (!marks) {
      marks = [];
      this.stories.set(user, marks);
    }
    let i = marks.length;
    while (i > 0 && (marks[i - 1] as StoryMark).occurredAt > mark.occurredAt) i--;
    marks.splice(i, 0, mark);
    const newest = (marks[marks.length - 1] as StoryMark).occurredAt;
    let drop = Math.max(0, marks.length - MAX_MARKS);
    while (drop < marks.length && (marks[drop] as StoryMark).occurredAt < newest - this.limits.retentionMs) drop++;
    if (drop > 0) marks.splice(0, drop);
  }

  storyOf(user: string, from: number, to: number): readonly StoryMark[] {
    const marks = this.stories.get(user);
    if (!marks) return NO_MARKS;
    return marks.filter((m) => m.occurredAt >= from && m.occurredAt <= to);
  }

  populationAmount(currency: string, category?: string): PopulationBaseline | undefined {
    const sample = this.population.get(category === undefined ? currency : `${currency}\u0000${category}`);
    return sample?.baseline();
  }

  record(e: PastEvent): void {
    add(this.users, e.user, e, this.limits);
    if (e.ip !== undefined) add(this.ips, e.ip, e, this.limits);
    if (e.device !== undefined) add(this.devices, e.device, e, this.limits);
    this.recordAmount(e);
    this.recordProfile(e);
  }

  /**
   * Only what an account's profile keeps of a successful login or a transaction: at start, those
   * older than the windows are replayed through here, so usual hours survive a restart.
   */
  recordProfile(e: PastEvent): void {
    if (e.type !== 'login.succeeded' && e.type !== 'transaction') return;
    let profile = this.profiles.get(e.user);
    if (!profile) {
      profile = new Profile();
      this.profiles.set(e.user, profile);
    }
    if (e.type === 'login.succeeded') profile.addLogin(e);
    else profile.addTransaction(e);
  }

  profileOf(user: string): BehaviourProfile | undefined {
    return this.profiles.get(user);
  }

  /**
   * Only the amount of a transaction, for the per-account baseline: at start, transactions older than
   * the windows are replayed through here, so a median after a restart is the median before it.
   */
  recordAmount(e: PastEvent): void {
    if (e.type === 'transaction' && e.amount !== undefined && e.currency !== undefined) {
      const key = `${e.user}\u0000${e.currency}`;
      let list = this.amounts.get(key);
      if (!list) {
        list = [];
        this.amounts.set(key, list);
      }
      let i = list.length;
      while (i > 0 && (list[i - 1] as { at: number }).at > e.occurredAt) i--;
      list.splice(i, 0, { at: e.occurredAt, amount: e.amount });
      if (list.length > MAX_AMOUNTS) list.splice(0, list.length - MAX_AMOUNTS);
      this.samplePopulation(e.currency, e.amount);
      if (e.category !== undefined) this.samplePopulation(`${e.currency}\u0000${e.category}`, e.amount);
    }
  }

  private samplePopulation(key: string, amount: number): void {
    let sample = this.population.get(key);
    if (!sample) {
      // Currencies and categories are few, but the keys come from clients: bounded all the same.
      if (this.population.size >= MAX_POPULATION_KEYS) return;
      sample = new PopulationSample();
      this.population.set(key, sample);
    }
    sample.add(amount);
  }

  forUser(user: string, from: number, to: number): readonly PastEvent[] {
    return this.users.get(user)?.range(from, to) ?? [];
  }

  forIp(ip: string, from: number, to: number): readonly PastEvent[] {
    return this.ips.get(ip)?.range(from, to) ?? [];
  }

  forDevice(device: string, from: number, to: number): readonly PastEvent[] {
    return this.devices.get(device)?.range(from, to) ?? [];
  }

  transactionAmounts(user: string, currency: string, before: number): readonly number[] {
    const list = this.amounts.get(`${user}\u0000${currency}`) ?? [];
    return list.filter((a) => a.at < before).map((a) => a.amount);
  }

  trustOf(user: string, kind: TrustKind, value: string): TrustVerdict | undefined {
    return this.trust.size === 0 ? undefined : this.trust.get(`${user}\u0000${kind}\u0000${value}`);
  }

  setTrust(user: string, kind: TrustKind, value: string, verdict: TrustVerdict): void {
    this.trust.set(`${user}\u0000${kind}\u0000${value}`, verdict);
  }

  /** Users, IPs and devices currently tracked: for the memory figure of the benchmark. */
  size(): { users: number; ips: number; devices: number } {
    return { users: this.users.size, ips: this.ips.size, devices: this.devices.size };
  }
}

const DAY = 24 * HOUR;
const NO_MERCHANTS: string[] = [];
const NO_MARKS: readonly StoryMark[] = [];
/** Marks kept per user: a story is a handful of events; an attack that earns more repeats itself. */
const MAX_MARKS = 16;
const MAX_POPULATION_KEYS = 1000;
/** Amounts of the population kept per currency: a ring of the latest, enough for a steady median. */
const POPULATION_RING = 1024;
/** Fewer amounts than this are no baseline for anyone. */
const POPULATION_MIN_SAMPLES = 50;
/** The median is computed again after this many new amounts: a sort of the ring, amortised. */
const POPULATION_REFRESH = 64;

/** The latest amounts of every account in one currency, with their median kept up to date lazily. */
class PopulationSample {
  private readonly ring = new Float64Array(POPULATION_RING);
  private count = 0;
  private cached: PopulationBaseline | undefined;
  private sinceRefresh = 0;

  add(amount: number): void {
    this.ring[this.count % POPULATION_RING] = amount;
    this.count++;
    this.sinceRefresh++;
  }

  baseline(): PopulationBaseline | undefined {
    const samples = Math.min(this.count, POPULATION_RING);
    if (samples < POPULATION_MIN_SAMPLES) return undefined;
    if (this.cached === undefined || this.sinceRefresh >= POPULATION_REFRESH) {
      const sorted = this.ring.slice(0, samples).sort();
      const mid = samples >> 1;
      const median = samples % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
      this.cached = { median, samples };
      this.sinceRefresh = 0;
    }
    return this.cached;
  }
}

/** One account's habits (see BehaviourProfile), of fixed size whatever its activity. */
class Profile implements BehaviourProfile {
  // Plain arrays grown as needed rather than typed arrays of the full size: most accounts log in and
  // buy a few times, and a typed array's buffer alone costs more than their whole profile.
  /** A ring of the latest logins' times of day: old habits fade as new ones come. */
  readonly loginMinutes: number[] = [];
  logins = 0;
  lastLogin: PastEvent | undefined;
  transactions = 0;
  lastTransactionAt: number | undefined;
  merchants: string[] = NO_MERCHANTS;

  addLogin(e: PastEvent): void {
    this.loginMinutes[this.logins % PROFILE_LOGINS] = Math.floor((((e.occurredAt % DAY) + DAY) % DAY) / MINUTE);
    this.logins++;
    // By event time, so a late event does not become "the last login".
    if (this.lastLogin === undefined || e.occurredAt >= this.lastLogin.occurredAt) this.lastLogin = e;
  }

  addTransaction(e: PastEvent): void {
    this.transactions++;
    if (this.lastTransactionAt === undefined || e.occurredAt > this.lastTransactionAt) this.lastTransactionAt = e.occurredAt;
    if (e.merchant === undefined) return;
    if (this.merchants === NO_MERCHANTS) this.merchants = [];
    const at = this.merchants.indexOf(e.merchant);
    if (at >= 0) this.merchants.splice(at, 1);
    this.merchants.push(e.merchant);
    if (this.merchants.length > PROFILE_MERCHANTS) this.merchants.shift();
  }
}

function add(cache: LRUCache<string, Timeline>, key: string, e: PastEvent, limits: MemoryHistoryLimits): void {
  let t = cache.get(key);
  if (!t) {
    t = new Timeline();
    cache.set(key, t);
  }
  t.insert(e, limits);
}
