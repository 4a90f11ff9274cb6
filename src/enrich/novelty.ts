import type { LRUCache } from 'lru-cache';
import { boundedCache } from '../core/bounded-cache.js';
import type { Familiarity, FamiliarityFacts, FirstSeenVia, Novelty } from '../domain/activity-event.js';
import { ipFacts } from './ip-network.js';

/** What an account uses and Vigil measures the age of. */
export type FamiliarKind = 'device' | 'country' | 'network' | 'payment_method';

/** What Vigil remembers having seen for a user; `account` (value '') marks that the user has history. */
export type SeenKind = 'account' | FamiliarKind;

/**
 * One `user_seen` row. The familiarity fields are absent (or null, on rows stored before them) for the
 * `account` row and old rows: those read as last seen when first seen, one day, via 'event', not proven.
 */
export interface SeenRecord {
  readonly user: string;
  readonly kind: SeenKind;
  readonly value: string;
  readonly firstSeenAt: number;
  /** When it was first used on the latest UTC day it was used (written once a day, not per event). */
  readonly lastSeenAt?: number | null;
  /** Distinct UTC days it was used on. */
  readonly days?: number | null;
  readonly via?: FirstSeenVia | null;
  /** When the owner proved it (a verified code, "this was me"); kept once set. */
  readonly provenAt?: number | null;
}

/**
 * The part of the store novelty needs: what was seen for these users, and a write for what the owner
 * proves outside an event's transaction. Records are upserts: a row is inserted on first sight, and
 * later records of it only move last seen and days forward and set the proof once.
 */
export interface SeenStore {
  loadSeen(users: readonly string[]): Promise<readonly SeenRecord[]>;
  saveSeen(records: readonly SeenRecord[]): Promise<void>;
}

/** What is remembered of one device, country, network or payment method of a user. */
interface Known {
  readonly firstSeenAt: number;
  lastSeenAt: number;
  days: number;
  readonly via: FirstSeenVia;
  provenAt: number | undefined;
}

interface UserSeen {
  /** The account's first established activity; undefined while it has none (hasHistory false). */
  accountFirstSeenAt: number | undefined;
  device: Map<string, Known> | undefined;
  country: Map<string, Known> | undefined;
  network: Map<string, Known> | undefined;
  payment_method: Map<string, Known> | undefined;
}

export interface Observation {
  readonly device?: string | undefined;
  readonly country?: string | undefined;
  readonly network?: string | undefined;
  readonly paymentMethod?: string | undefined;
}

/**
 * What an event teaches: 'login' (a successful login) and 'event' (any other trusted event) teach and
 * say how a new thing first came; 'nothing' (a failed login) is assessed but teaches nothing.
 */
export type Teaching = 'login' | 'event' | 'nothing';

/** Novelty and familiarity of one event; the enricher uses it as the event's enrichment object. */
export interface Assessment {
  novelty: Novelty;
  familiarity: FamiliarityFacts;
}

export interface NoveltyOptions {
  /** Users whose facts are kept in memory (least recently used are dropped, and read again when needed). */
  readonly maxUsers?: number;
  /** VIGIL_TRUST_AFTER_DAYS: how long ago something must have been first seen to be trusted by age. */
  readonly trustAfterDays?: number;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Things first seen within this of the account's first activity are as old as the account. */
const ORIGINAL_WITHIN_MS = HOUR;
const KINDS: readonly FamiliarKind[] = ['device', 'country', 'network', 'payment_method'];

const dayOf = (at: number): number => Math.floor(at / DAY);

/**
 * Decides whether a device, country, network or payment method is new for a user, and how familiar it
 * is: its age, the days it was used on, how it first came, whether the owner proved it. The facts live
 * in a bounded LRU in front of the store: a user's are read once, then every later event of theirs is
 * answered from memory. Whatever is learnt is returned as records for the caller to write in the same
 * transaction as the event, so memory and store agree after a crash: a row on first sight, then an
 * update only when it is used on a new UTC day, never one per event.
 */
export class NoveltyTracker {
  private readonly cache: LRUCache<string, UserSeen>;
  private readonly loading = new Map<string, Promise<UserSeen>>();
  private readonly trustAfterMs: number;

  constructor(
    private readonly store: SeenStore,
    options: NoveltyOptions = {},
  ) {
    this.cache = boundedCache(options.maxUsers ?? 200_000);
    this.trustAfterMs = (options.trustAfterDays ?? 7) * DAY;
  }

  /** Loads what is missing for these users in one store read, and pins them for this batch. */
  async prepare(users: Iterable<string>): Promise<NoveltyBatch> {
    const pinned = new Map<string, UserSeen>();
    const missing: string[] = [];
    const waits: Promise<void>[] = [];
    for (const user of new Set(users)) {
      const cached = this.cache.get(user);
      if (cached) pinned.set(user, cached);
      else {
        const pending = this.loading.get(user);
        if (pending) waits.push(pending.then((seen) => void pinned.set(user, seen)));
        else missing.push(user);
      }
    }
    if (missing.length > 0) {
      const load = this.store.loadSeen(missing).then((records) => {
        const byUser = new Map<string, UserSeen>();
        for (const user of missing) byUser.set(user, emptySeen());
        for (const r of records) {
          const seen = byUser.get(r.user);
          if (seen) remember(seen, r);
        }
        return byUser;
      });
      for (const user of missing) {
        this.loading.set(
          user,
          load.then((m) => m.get(user) as UserSeen),
        );
      }
      try {
        const loaded = await load;
        for (const [user, seen] of loaded) {
          // Another batch may have cached this user meanwhile; its copy already holds newer facts.
          const current = this.cache.get(user) ?? seen;
          this.cache.set(user, current);
          pinned.set(user, current);
        }
      } finally {
        for (const user of missing) this.loading.delete(user);
      }
    }
    await Promise.all(waits);
    return new NoveltyBatch(pinned, this.trustAfterMs);
  }

  /**
   * The owner proved this is theirs (`code`: a verified one-time code; `confirmed`: "this was me"):
   * it becomes proven, in memory and in the store. Something never seen is recorded, first seen now
   * and via how it was proven; something seen keeps how it first came. The first proof is kept.
   */
  async prove(user: string, kind: FamiliarKind, value: string, via: 'code' | 'confirmed', at: number): Promise<SeenRecord> {
    const [record] = await this.proveAll(user, [[kind, value]], via, at);
    return record as SeenRecord;
  }

  /**
   * Proves the device, the network of the address (public addresses only, as enrichment measures it)
   * and the country of an alert or lock, in one store write.
   */
  async proveSource(
    user: string,
    source: { readonly device?: string | undefined; readonly ip?: string | undefined; readonly country?: string | undefined },
    via: 'code' | 'confirmed',
    at: number,
  ): Promise<readonly SeenRecord[]> {
    const things: Array<[FamiliarKind, string]> = [];
    if (source.device !== undefined) things.push(['device', source.device]);
    if (source.ip !== undefined) {
      const ip = ipFacts(source.ip);
      if (ip.scope === 'public') things.push(['network', ip.network]);
    }
    if (source.country !== undefined) things.push(['country', source.country]);
    return this.proveAll(user, things, via, at);
  }

  /** Drops users whose learnt facts failed to reach the store, so they are read again next time. */
  forget(users: Iterable<string>): void {
    for (const user of users) this.cache.delete(user);
  }

  private async proveAll(
    user: string,
    things: ReadonlyArray<readonly [FamiliarKind, string]>,
    via: 'code' | 'confirmed',
    at: number,
  ): Promise<SeenRecord[]> {
    if (things.length === 0) return [];
    const seen = (await this.prepare([user])).seenOf(user);
    const records: SeenRecord[] = [];
    const changed: SeenRecord[] = [];
    for (const [kind, value] of things) {
      const map = mapOf(seen, kind);
      let known = map.get(value);
      if (known === undefined) {
        known = { firstSeenAt: at, lastSeenAt: at, days: 1, via, provenAt: at };
        map.set(value, known);
        changed.push(recordOf(user, kind, value, known));
      } else if (known.provenAt === undefined) {
        known.provenAt = at;
        changed.push(recordOf(user, kind, value, known));
      }
      records.push(recordOf(user, kind, value, known));
    }
    if (changed.length > 0) {
      try {
        await this.store.saveSeen(changed);
      } catch (error) {
        this.forget([user]);
        throw error;
      }
    }
    return records;
  }
}

/** The users of one batch, pinned in memory while it is enriched. */
export class NoveltyBatch {
  /** Whether the last familiarity() found the thing unknown (novelty, without a second lookup). */
  private wasNew = false;

  constructor(
    private readonly users: Map<string, UserSeen>,
    private readonly trustAfterMs: number,
  ) {}

  /** @internal the tracker's own access, for proofs. */
  seenOf(user: string): UserSeen {
    const known = this.users.get(user);
    if (!known) throw new Error(`novelty: user ${user} was not prepared`);
    return known;
  }

  /**
   * Novelty and familiarity of one observation, as of before this event (ages and days count this
   * event's day). Unless it teaches `nothing` (a failed login: an attacker's failed attempts must not
   * make their device familiar), what was observed joins what is known, and the records to store are
   * pushed to `learnt`: a new row on first sight, an update when used on a new UTC day.
   */
  assess(user: string, seen: Observation, teaching: Teaching, at: number, learnt: SeenRecord[]): Assessment {
    const known = this.seenOf(user);
    const account = known.accountFirstSeenAt;
    const device = this.familiarity(user, known, 'device', seen.device, teaching, at, account, learnt);
    const newDevice = device === null ? null : this.wasNew;
    const country = this.familiarity(user, known, 'country', seen.country, teaching, at, account, learnt);
    const newCountry = country === null ? null : this.wasNew;
    const network = this.familiarity(user, known, 'network', seen.network, teaching, at, account, learnt);
    const newNetwork = network === null ? null : this.wasNew;
    const paymentMethod = this.familiarity(user, known, 'payment_method', seen.paymentMethod, teaching, at, account, learnt);
    const novelty: Novelty = { hasHistory: account !== undefined, newDevice, newCountry, newNetwork };
    const familiarity: FamiliarityFacts =
      account === undefined
        ? { device, network, country, paymentMethod }
        : { device, network, country, paymentMethod, accountFirstSeenAt: account };
    if (teaching !== 'nothing' && account === undefined) {
      known.accountFirstSeenAt = at;
      learnt.push({ user, kind: 'account', value: '', firstSeenAt: at });
    }
    return { novelty, familiarity };
  }

  private familiarity(
    user: string,
    seen: UserSeen,
    kind: FamiliarKind,
    value: string | undefined,
    teaching: Teaching,
    at: number,
    account: number | undefined,
    learnt: SeenRecord[],
  ): Familiarity | null {
    if (value === undefined) return null;
    const map = seen[kind];
    const known = map?.get(value);
    this.wasNew = known === undefined;
    if (known === undefined) {
      const via: FirstSeenVia = teaching === 'login' ? 'login' : 'event';
      if (teaching !== 'nothing') {
        const fresh: Known = { firstSeenAt: at, lastSeenAt: at, days: 1, via, provenAt: undefined };
        mapOf(seen, kind).set(value, fresh);
        learnt.push(recordOf(user, kind, value, fresh));
      }
      return { firstSeenAt: at, ageMs: 0, days: 1, via, proven: false, trusted: false };
    }
    const newDay = dayOf(at) > dayOf(known.lastSeenAt);
    const days = newDay ? known.days + 1 : known.days;
    const ageMs = at > known.firstSeenAt ? at - known.firstSeenAt : 0;
    const proven = known.provenAt !== undefined;
    const trusted =
      proven || (ageMs >= this.trustAfterMs && days >= 2) || (account !== undefined && known.firstSeenAt <= account + ORIGINAL_WITHIN_MS);
    if (newDay && teaching !== 'nothing') {
      known.lastSeenAt = at;
      known.days = days;
      learnt.push(recordOf(user, kind, value, known));
    }
    return { firstSeenAt: known.firstSeenAt, ageMs, days, via: known.via, proven, trusted };
  }
}

const emptySeen = (): UserSeen => ({
  accountFirstSeenAt: undefined,
  device: undefined,
  country: undefined,
  network: undefined,
  payment_method: undefined,
});

/** The user's map of one kind, made on first use: most users never have a payment method, many no network. */
function mapOf(seen: UserSeen, kind: FamiliarKind): Map<string, Known> {
  let map = seen[kind];
  if (map === undefined) {
    map = new Map();
    seen[kind] = map;
  }
  return map;
}

function remember(seen: UserSeen, r: SeenRecord): void {
  if (r.kind === 'account') {
    if (seen.accountFirstSeenAt === undefined || r.firstSeenAt < seen.accountFirstSeenAt) seen.accountFirstSeenAt = r.firstSeenAt;
    return;
  }
  if (!KINDS.includes(r.kind)) return;
  mapOf(seen, r.kind).set(r.value, {
    firstSeenAt: r.firstSeenAt,
    lastSeenAt: r.lastSeenAt ?? r.firstSeenAt,
    days: r.days ?? 1,
    via: r.via ?? 'event',
    provenAt: r.provenAt ?? undefined,
  });
}

const recordOf = (user: string, kind: FamiliarKind, value: string, k: Known): SeenRecord => ({
  user,
  kind,
  value,
  firstSeenAt: k.firstSeenAt,
  lastSeenAt: k.lastSeenAt,
  days: k.days,
  via: k.via,
  provenAt: k.provenAt ?? null,
});
