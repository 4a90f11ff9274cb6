import { LRUCache } from 'lru-cache';
import type { Novelty } from '../ingest/activity-event.js';

/** What Vigil remembers having seen for a user; `account` (value '') marks that the user has history. */
export type SeenKind = 'account' | 'device' | 'country' | 'network';

export interface SeenRecord {
  readonly user: string;
  readonly kind: SeenKind;
  readonly value: string;
  readonly firstSeenAt: number;
}

/** The part of the store novelty needs: what was seen for these users. */
export interface SeenStore {
  loadSeen(users: readonly string[]): Promise<readonly SeenRecord[]>;
}

interface UserSeen {
  hasHistory: boolean;
  readonly device: Set<string>;
  readonly country: Set<string>;
  readonly network: Set<string>;
}

export interface Observation {
  readonly device?: string | undefined;
  readonly country?: string | undefined;
  readonly network?: string | undefined;
}

/**
 * Decides whether a device, country or network is new for a user. The sets live in a bounded LRU in
 * front of the store: a user's sets are read once, then every later event of theirs is answered from
 * memory. Whatever is learnt is returned as records for the caller to write in the same transaction
 * as the event, so memory and store agree after a crash.
 */
export class NoveltyTracker {
  private readonly cache: LRUCache<string, UserSeen>;
  private readonly loading = new Map<string, Promise<UserSeen>>();

  constructor(
    private readonly store: SeenStore,
    maxUsers = 200_000,
  ) {
    this.cache = new LRUCache({ max: maxUsers });
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
          if (!seen) continue;
          if (r.kind === 'account') seen.hasHistory = true;
          else seen[r.kind].add(r.value);
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
    return new NoveltyBatch(pinned);
  }

  /** Drops users whose learnt facts failed to reach the store, so they are read again next time. */
  forget(users: Iterable<string>): void {
    for (const user of users) this.cache.delete(user);
  }
}

/** The users of one batch, pinned in memory while it is enriched. */
export class NoveltyBatch {
  constructor(private readonly users: Map<string, UserSeen>) {}

  /**
   * Novelty of one observation. When `trusted` (anything but a failed login), what was observed joins
   * what is known, and the records to store are pushed to `learnt`: an attacker's failed attempts
   * must not make their device familiar.
   */
  assess(user: string, seen: Observation, trusted: boolean, at: number, learnt: SeenRecord[]): Novelty {
    const known = this.users.get(user);
    if (!known) throw new Error(`novelty: user ${user} was not prepared`);
    const check = (kind: 'device' | 'country' | 'network', value: string | undefined): boolean | null => {
      if (value === undefined) return null;
      const isNew = !known[kind].has(value);
      if (isNew && trusted) {
        known[kind].add(value);
        learnt.push({ user, kind, value, firstSeenAt: at });
      }
      return isNew;
    };
    const novelty: Novelty = {
      hasHistory: known.hasHistory,
      newDevice: check('device', seen.device),
      newCountry: check('country', seen.country),
      newNetwork: check('network', seen.network),
    };
    if (trusted && !known.hasHistory) {
      known.hasHistory = true;
      learnt.push({ user, kind: 'account', value: '', firstSeenAt: at });
    }
    return novelty;
  }
}

const emptySeen = (): UserSeen => ({ hasHistory: false, device: new Set(), country: new Set(), network: new Set() });
