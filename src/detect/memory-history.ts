import { HOUR, MINUTE } from '../core/time.js';
import { BudgetedMap, type BudgetUsage, ByteBudget, type Slot, stringBytes } from './byte-budget.js';
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
import { KeptMark } from './kept-mark.js';
import { type Client, EventCompactor, HolderKind, type Locality, NOBODY, NOT_CHARGED, type StoredEvent } from './stored-event.js';

export interface MemoryHistoryLimits {
  /** How long events are kept behind the newest one of their key: the longest rule window and a margin. */
  readonly retentionMs: number;
  /** Events kept per user, IP or device; the oldest go first. */
  readonly maxEventsPerKey: number;
  /**
   * Estimated bytes of all of it (VIGIL_DETECTION_MEMORY_MB): past this, the least recently active
   * users, IPs and devices are forgotten first, whatever their kind.
   */
  readonly budgetBytes: number;
}

export const DEFAULT_LIMITS: MemoryHistoryLimits = { retentionMs: 25 * HOUR, maxEventsPerKey: 300, budgetBytes: 512 * 1024 * 1024 };

/**
 * Page views are most of the traffic and only the browsing rule counts them, over minutes: they are
 * kept this long behind their key's newest event, then dropped at the next event of that key, so
 * that they neither crowd a timeline's logins out nor take most of the memory. The one exception is
 * a session's first page view and its last of each hour in a user's timeline (marksSession).
 */
const PAGE_VIEW_RETENTION_MS = 15 * 60_000;
/** A session keeps its last page view of each of these periods of the clock (marksSession). */
const SESSION_MARK_PERIOD_MS = HOUR;
const MAX_AMOUNTS = 100;

/**
 * Events of one key, sorted by event time: most keys hold one event (an address seen once), kept
 * alone, without a list around it. Short lists are copied on insert, so that each holds exactly its
 * events (a list grown by push reserves room for 16 more, which over a million addresses is most of
 * the memory); long ones grow in place.
 */
type Timeline = StoredEvent | StoredEvent[];
const NO_EVENTS: StoredEvent[] = [];
/** Below this length a timeline is copied on insert, exactly sized; from it, it grows in place. */
const EXACT_BELOW = 32;

const newestOf = (t: Timeline | undefined): StoredEvent | undefined => (t === undefined || !Array.isArray(t) ? t : t[t.length - 1]);

/**
 * A timeline's list: none for one event; an array and its backing store, exactly sized while short,
 * with the slack of growth in place when long; none for the shared empty list of a new key (counted
 * as an array of its own, it took 32 bytes off every new key's first charge).
 */
function containerBytes(t: Timeline): number {
  if (!Array.isArray(t) || t === NO_EVENTS) return 0;
  return t.length < EXACT_BELOW ? 32 + listBytes(t.length) : 32 + 16 + 12 * t.length + 128;
}

/** A backing store of n slots, exactly sized (none at all when empty: the empty one is shared). */
const listBytes = (n: number): number => (n === 0 ? 0 : 16 + 8 * n);

/**
 * Whether this timeline has had this event: it holds it, or the event is a page view that the
 * timeline would no longer keep (15 minutes behind its newest), which it let go of or would drop at
 * once. A replay (a start's after a snapshot, the distributed mode's catch-up and takeover, another
 * worker's share) must not count such a page view again: the rules would observe it twice, at every
 * catch-up. The price: a page view this history never had, come that late (a share lost while NATS
 * was away, a late event of another worker's), is not kept as its session's mark nor observed by the
 * rules (a custom rule counting page views over hours misses it), where one process would have.
 */
function hasHad(t: Timeline, e: { readonly id: string; readonly type?: string; readonly occurredAt: number }): boolean {
  if (holdsEvent(t, e.id, e.occurredAt)) return true;
  const newest = newestOf(t);
  return e.type === 'page.viewed' && newest !== undefined && e.occurredAt < newest.occurredAt - PAGE_VIEW_RETENTION_MS;
}

/** Whether this event (by id, at its time) is kept. */
function holdsEvent(t: Timeline, id: string, at: number): boolean {
  if (!Array.isArray(t)) return t.hasId(id);
  for (let i = lowerBound(t, at); i < t.length && (t[i] as StoredEvent).occurredAt === at; i++) {
    if ((t[i] as StoredEvent).hasId(id)) return true;
  }
  return false;
}

function range(t: Timeline | undefined, from: number, to: number): readonly PastEvent[] {
  if (t === undefined) return NO_EVENTS;
  if (!Array.isArray(t)) return t.occurredAt >= from && t.occurredAt <= to ? [t] : NO_EVENTS;
  const lo = lowerBound(t, from);
  let hi = lo;
  while (hi < t.length && (t[hi] as StoredEvent).occurredAt <= to) hi++;
  return t.slice(lo, hi);
}

/**
 * Whether a page view older than page views are kept marks its session (`list[first, kept)` are the
 * events kept before it, `list[next…]` those after it, in time order): it is the session's first
 * event with a client and a network, or its last such event in its hour of the clock. Session hijack
 * compares a session's later events with its first such event in the rule's window (12 hours by
 * default). The first tells when and from where the session began. The last of each hour keeps the
 * owner in any window: whenever the owner had an event in it, the last of that event's hour is kept
 * and in the window too, so the rule finds an event of the owner's there as it did with every page
 * view kept (the first it finds may be later than the true first, by less than an hour). A session of
 * an hour keeps two or three page views at most; one opened by a login, one or two.
 */
function marksSession(list: readonly StoredEvent[], first: number, kept: number, next: number, x: StoredEvent): boolean {
  const session = x.session;
  if (session === undefined || x.ua === undefined || x.network === undefined) return false;
  const hourEnd = (Math.floor(x.occurredAt / SESSION_MARK_PERIOD_MS) + 1) * SESSION_MARK_PERIOD_MS;
  let lastOfHour = true;
  for (let k = next; k < list.length; k++) {
    const later = list[k] as StoredEvent;
    if (later.occurredAt >= hourEnd) break;
    if (inSession(later, session)) {
      lastOfHour = false;
      break;
    }
  }
  if (lastOfHour) return true;
  for (let k = first; k < kept; k++) if (inSession(list[k] as StoredEvent, session)) return false;
  return true;
}

/** Whether an event is of this session, with a client and a network (what session hijack compares). */
const inSession = (e: StoredEvent, session: string): boolean => e.session === session && e.ua !== undefined && e.network !== undefined;

/**
 * Whether two timelines are short lists of the same events, which one list can serve for both. A
 * user who alone uses an address and a device has the same events in their timelines, and in their
 * own when none of their page views is kept as a session's mark (marksSession): one list instead of
 * two or three, 48 bytes and 8 an event each. Only short lists: they are copied on insert, never
 * changed in place (see Timeline), so each key moves on to a list of its own at its next event.
 */
function sameShortList(a: Timeline, b: Timeline): boolean {
  if (a === b || !Array.isArray(a) || !Array.isArray(b) || a.length !== b.length || a.length >= EXACT_BELOW) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The list without its events [from, to): a new list, exactly sized, when the rest is short (see
 * Timeline); else the same list, shortened in place.
 */
function withoutRange(list: StoredEvent[], from: number, to: number): StoredEvent[] {
  if (list.length - (to - from) < EXACT_BELOW) return from === 0 ? list.slice(to) : list.slice(0, from).concat(list.slice(to));
  list.splice(from, to - from);
  return list;
}

const eventsOf = (t: Timeline): readonly StoredEvent[] => (Array.isArray(t) ? t : [t]);

function lowerBound(list: readonly StoredEvent[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as StoredEvent).occurredAt < t) lo = mid + 1;
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
  private readonly budget: ByteBudget;
  private readonly users: BudgetedMap<Timeline>;
  private readonly ips: BudgetedMap<Timeline>;
  private readonly devices: BudgetedMap<Timeline>;
  /** Owners' verdicts on devices, IPs and countries: few (one per disputed or confirmed alert), kept whole. */
  private readonly trust = new Map<string, TrustVerdict>();
  /**
   * Accounts' long-term habits and their transactions' amounts per currency, a few hundred bytes
   * each, the least recently active dropped first.
   */
  private readonly profiles: BudgetedMap<Profile>;
  /** What users' recent events earned (only users with findings have any), for carried risk. */
  private readonly stories: BudgetedMap<KeptMark[]>;
  /** Recent amounts of every account per currency (and currency with category). */
  private readonly population = new Map<string, PopulationSample>();
  private readonly compactor = new EventCompactor();

  /** The event recorded last: a snapshot names it, and is used only against a database that holds it. */
  lastRecordedId: string | undefined;

  constructor(readonly limits: MemoryHistoryLimits = DEFAULT_LIMITS) {
    this.budget = new ByteBudget(limits.budgetBytes);
    // A forgotten timeline or profile lets go of its events: the ones other keys still hold move
    // their charge to them, so that the budget counts every event kept, once.
    const forget = (kind: HolderKind) => (t: Timeline) => {
      for (const e of eventsOf(t)) this.release(e, kind);
    };
    this.users = new BudgetedMap(this.budget, TIMELINE_BYTES, forget(HolderKind.user));
    this.ips = new BudgetedMap(this.budget, TIMELINE_BYTES, forget(HolderKind.ip));
    this.devices = new BudgetedMap(this.budget, TIMELINE_BYTES, forget(HolderKind.device));
    this.profiles = new BudgetedMap(this.budget, PROFILE_BYTES, (p) => {
      if (p.lastLogin !== undefined) this.release(p.lastLogin, HolderKind.profile);
    });
    this.stories = new BudgetedMap(this.budget, ARRAY_BYTES);
  }

  /**
   * Records what an event earned; kept for the retention period, at most MAX_MARKS per user. The mark
   * is kept compact (KeptMark), its session and device taken from its event's timeline when the user's
   * holds the event (the engine marks an event right after recording it).
   */
  recordMark(user: string, mark: StoryMark): void {
    const slot = this.stories.upsert(user, () => []);
    const marks = this.stories.valueAt(slot);
    const event = this.heldEvent(user, mark.eventId, mark.occurredAt);
    const kept = KeptMark.of(mark, { session: event?.session, device: event?.device });
    let i = marks.length;
    while (i > 0 && (marks[i - 1] as KeptMark).occurredAt > kept.occurredAt) i--;
    marks.splice(i, 0, kept);
    const newest = (marks[marks.length - 1] as KeptMark).occurredAt;
    let drop = Math.max(0, marks.length - MAX_MARKS);
    while (drop < marks.length && (marks[drop] as KeptMark).occurredAt < newest - this.limits.retentionMs) drop++;
    let delta = kept.bytes;
    for (const gone of marks.splice(0, drop)) delta -= gone.bytes;
    this.stories.charge(slot, delta);
    this.budget.enforce();
  }

  /** The event of this id at this time, if the user's timeline holds it. */
  private heldEvent(user: string, id: string, at: number): StoredEvent | undefined {
    const t = this.users.get(user);
    if (t === undefined) return undefined;
    if (!Array.isArray(t)) return t.occurredAt === at && t.hasId(id) ? t : undefined;
    for (let i = lowerBound(t, at); i < t.length && (t[i] as StoredEvent).occurredAt === at; i++) {
      if ((t[i] as StoredEvent).hasId(id)) return t[i];
    }
    return undefined;
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
    this.lastRecordedId = e.id;
    // The keys first (in this order: the budget's order of activity), so the kept event can share
    // their strings and its newest neighbours' texts and place.
    const user = this.users.upsert(e.user, noEvents);
    const ip = e.ip === undefined ? undefined : this.ips.upsert(e.ip, noEvents);
    const device = e.device === undefined ? undefined : this.devices.upsert(e.device, noEvents);
    const stored = this.compactor.compact(
      e,
      this.users.keyAt(user),
      ip === undefined ? undefined : this.ips.keyAt(ip),
      device === undefined ? undefined : this.devices.keyAt(device),
      newestOf(this.users.valueAt(user)),
      ip === undefined ? undefined : newestOf(this.ips.valueAt(ip)),
    );
    const own = this.insert(this.users, user, stored, HolderKind.user);
    const address = ip === undefined ? undefined : this.insert(this.ips, ip, stored, HolderKind.ip, own);
    if (device !== undefined) this.insert(this.devices, device, stored, HolderKind.device, address ?? own);
    this.recordAmount(stored);
    this.keepInProfile(stored);
    this.budget.enforce();
  }

  /**
   * Inserts the event into the key's timeline, drops what the limits no longer keep, and charges the
   * key the change in its estimated bytes (a dropped event still held elsewhere moves its charge there).
   * Returns the timeline, which is `sibling` (the timeline the event was just inserted in under another
   * key) when they hold the same events: see sameShortList.
   */
  private insert(map: BudgetedMap<Timeline>, slot: Slot, e: StoredEvent, kind: HolderKind, sibling?: Timeline): Timeline {
    const limits = this.limits;
    const value = map.valueAt(slot);
    const containerBefore = containerBytes(value);
    const newestBefore = newestOf(value);
    let list = Array.isArray(value) ? value : [value];
    let i = list.length;
    while (i > 0 && (list[i - 1] as StoredEvent).occurredAt > e.occurredAt) i--;
    if (list.length < EXACT_BELOW) list = i === list.length ? list.concat(e) : list.slice(0, i).concat(e, list.slice(i));
    else list.splice(i, 0, e);
    let delta = e.hold(kind) ? e.ownBytes : 0;
    const newest = (list[list.length - 1] as StoredEvent).occurredAt;
    // Past the retention: the oldest events, a prefix of the list (it is in time order).
    let expired = 0;
    while (expired < list.length && (list[expired] as StoredEvent).occurredAt < newest - limits.retentionMs) expired++;
    // Page views 15 minutes behind: only those that fell behind since the key's last event, and the
    // new one if it came late. Those behind before were dropped then, but for sessions' marks, which
    // stay: each event is looked at once, however long the timeline (a mark that a late event turns
    // out to precede in its hour stays too, one event more for its session).
    const viewsFrom = newest - PAGE_VIEW_RETENTION_MS;
    let from = newestBefore === undefined ? 0 : Math.max(expired, lowerBound(list, newestBefore.occurredAt - PAGE_VIEW_RETENTION_MS));
    if (expired <= i && i < from && e.type === 'page.viewed' && !(kind === HolderKind.user && marksSession(list, expired, i, i + 1, e))) {
      delta += this.release(e, kind);
      list = withoutRange(list, i, i + 1);
      from--;
    }
    let kept = from;
    let read = from;
    for (; read < list.length; read++) {
      const x = list[read] as StoredEvent;
      if (x.occurredAt >= viewsFrom) break;
      if (x.type === 'page.viewed' && !(kind === HolderKind.user && marksSession(list, expired, kept, read + 1, x)))
        delta += this.release(x, kind);
      else list[kept++] = x;
    }
    for (let k = 0; k < expired; k++) delta += this.release(list[k] as StoredEvent, kind);
    if (kept < read) list = withoutRange(list, kept, read);
    if (expired > 0) list = withoutRange(list, 0, expired);
    const over = list.length - limits.maxEventsPerKey;
    if (over > 0) {
      for (let k = 0; k < over; k++) delta += this.release(list[k] as StoredEvent, kind);
      list = withoutRange(list, 0, over);
    }
    let timeline: Timeline = list.length === 1 ? (list[0] as StoredEvent) : list;
    if (sibling !== undefined && sameShortList(timeline, sibling)) timeline = sibling;
    map.setValueAt(slot, timeline);
    // Each key is charged its list, shared or not: the estimate stays a ceiling, and stays right when
    // one of them moves on to a list of its own.
    map.charge(slot, delta + containerBytes(timeline) - containerBefore);
    return timeline;
  }

  /**
   * A holder lets go of an event: returns the change in that holder's estimate (minus the event's
   * bytes when it carried them), and charges them to the holder they move to, if one is left.
   */
  private release(e: StoredEvent, kind: HolderKind): number {
    const next = e.release(kind);
    if (next === NOT_CHARGED) return 0;
    const own = e.ownBytes;
    switch (next) {
      case NOBODY:
        break;
      case HolderKind.user:
        this.users.chargeKey(e.user, own);
        break;
      case HolderKind.ip:
        this.ips.chargeKey(e.ip as string, own);
        break;
      case HolderKind.device:
        this.devices.chargeKey(e.device as string, own);
        break;
      case HolderKind.profile:
        this.profiles.chargeKey(e.user, own);
        break;
      default:
        assertNever(next);
    }
    return -own;
  }

  /**
   * The distributed mode (cluster/source-share.ts): another worker's event, kept under its IP and its
   * device, where rules read across accounts (credential stuffing, card testing), and among the
   * population's amounts. Its user is another worker's: no timeline, baseline or profile of theirs is
   * kept here. Returns false, keeping nothing, when the event is already held (a takeover's replay
   * may have brought it first).
   */
  recordSource(e: PastEvent): boolean {
    if (e.ip === undefined && e.device === undefined) {
      this.samplePopulationOf(e);
      return true;
    }
    // Asked before the keys are made: an event already had leaves no empty timeline behind.
    const had = e.ip !== undefined ? this.ips.get(e.ip) : this.devices.get(e.device as string);
    if (had !== undefined && hasHad(had, e)) return false;
    const ip = e.ip === undefined ? undefined : this.ips.upsert(e.ip, noEvents);
    const device = e.device === undefined ? undefined : this.devices.upsert(e.device, noEvents);
    const stored = this.compactor.compact(
      e,
      e.user,
      ip === undefined ? undefined : this.ips.keyAt(ip),
      device === undefined ? undefined : this.devices.keyAt(device),
      ip === undefined ? undefined : newestOf(this.ips.valueAt(ip)),
      device === undefined ? undefined : newestOf(this.devices.valueAt(device)),
    );
    const address = ip === undefined ? undefined : this.insert(this.ips, ip, stored, HolderKind.ip);
    if (device !== undefined) this.insert(this.devices, device, stored, HolderKind.device, address);
    this.samplePopulationOf(stored);
    this.budget.enforce();
    return true;
  }

  /**
   * The distributed mode's takeover: an event of a user this worker has just taken over, replayed
   * from the store. While another worker owned the user, its IP and device part may have come here
   * already (recordSource): then only the user's part is kept now, so that no IP or device counts it
   * twice. Returns whether it had come.
   */
  adopt(e: PastEvent): boolean {
    const source = e.ip !== undefined ? this.ips.get(e.ip) : e.device !== undefined ? this.devices.get(e.device) : undefined;
    if (source === undefined || !hasHad(source, e)) {
      this.record(e);
      return false;
    }
    this.lastRecordedId = e.id;
    const user = this.users.upsert(e.user, noEvents);
    const stored = this.compactor.compact(e, this.users.keyAt(user), e.ip, e.device, newestOf(this.users.valueAt(user)), undefined);
    this.insert(this.users, user, stored, HolderKind.user);
    this.recordAmount(stored, false);
    this.keepInProfile(stored);
    this.budget.enforce();
    return true;
  }

  /** The byte budget's figures, for /healthz and the benchmark. */
  memory(): BudgetUsage {
    return this.budget.usage();
  }

  /**
   * Only what an account's profile keeps of a successful login or a transaction: at start, those
   * older than the windows are replayed through here, so usual hours survive a restart.
   */
  recordProfile(e: PastEvent): void {
    if (e.type !== 'login.succeeded' && e.type !== 'transaction') return;
    // Older logins replayed at start come as plain events: kept compact, like the history's.
    this.keepInProfile(e.type === 'login.succeeded' ? this.compactor.compact(e, e.user, e.ip, e.device, undefined, undefined) : e);
  }

  /** recordProfile of an event already in the form this history keeps (a login is held by the profile). */
  private keepInProfile(e: PastEvent): void {
    if (e.type !== 'login.succeeded' && e.type !== 'transaction') return;
    const slot = this.profiles.upsert(e.user, newProfile);
    const profile = this.profiles.valueAt(slot);
    let delta = -profile.bytes();
    if (e.type === 'login.succeeded') {
      const previous = profile.lastLogin;
      profile.addLogin(e as StoredEvent);
      if (profile.lastLogin !== previous) {
        // The last login is held by the profile: charged to it once no timeline holds it.
        if (profile.lastLogin?.hold(HolderKind.profile)) delta += profile.lastLogin.ownBytes;
        if (previous !== undefined) delta += this.release(previous, HolderKind.profile);
      }
    } else profile.addTransaction(e);
    this.profiles.charge(slot, delta + profile.bytes());
    this.budget.enforce();
  }

  profileOf(user: string): BehaviourProfile | undefined {
    const profile = this.profiles.get(user);
    // A profile with amounts only (none of its logins or transactions recorded yet) knows no habits.
    return profile === undefined || (profile.logins === 0 && profile.transactions === 0) ? undefined : profile;
  }

  /**
   * Only the amount of a transaction, for the per-account baseline: at start, transactions older than
   * the windows are replayed through here, so a median after a restart is the median before it.
   */
  recordAmount(e: PastEvent, population = true): void {
    if (e.type === 'transaction' && e.amount !== undefined && e.currency !== undefined) {
      // In the account's profile rather than a key of their own: one entry, Map slot and key text
      // (user and currency) less per account.
      const slot = this.profiles.upsert(e.user, newProfile);
      const profile = this.profiles.valueAt(slot);
      const before = profile.bytes();
      profile.addAmount(e.currency, e.occurredAt, e.amount);
      this.profiles.charge(slot, profile.bytes() - before);
      this.budget.enforce();
      if (population) this.samplePopulationOf(e);
    }
  }

  /** A transaction's amount among the population's (the baseline of accounts with little history). */
  private samplePopulationOf(e: PastEvent): void {
    if (e.type !== 'transaction' || e.amount === undefined || e.currency === undefined) return;
    this.samplePopulation(e.currency, e.amount);
    if (e.category !== undefined) this.samplePopulation(`${e.currency}\u0000${e.category}`, e.amount);
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
    return range(this.users.get(user), from, to);
  }

  forIp(ip: string, from: number, to: number): readonly PastEvent[] {
    return range(this.ips.get(ip), from, to);
  }

  forDevice(device: string, from: number, to: number): readonly PastEvent[] {
    return range(this.devices.get(device), from, to);
  }

  transactionAmounts(user: string, currency: string, before: number): readonly number[] {
    const list = this.profiles.get(user)?.amountsIn(currency);
    const amounts: number[] = [];
    if (list === undefined) return amounts;
    for (let i = 0; i < list.length && (list[i] as number) < before; i += 2) amounts.push(list[i + 1] as number);
    return amounts;
  }

  trustOf(user: string, kind: TrustKind, value: string): TrustVerdict | undefined {
    return this.trust.size === 0 ? undefined : this.trust.get(`${user}\u0000${kind}\u0000${value}`);
  }

  setTrust(user: string, kind: TrustKind, value: string, verdict: TrustVerdict): void {
    this.trust.set(`${user}\u0000${kind}\u0000${value}`, verdict);
  }

  /**
   * Whether this stored event is already in memory (in its user's timeline), or is a page view that
   * timeline has let go of (hasHad): the replay after a snapshot skips the events the snapshot already
   * holds, and the distributed mode's catch-up those this worker has had.
   */
  holds(e: { readonly id: string; readonly type: string; readonly user: string; readonly occurredAt: number }): boolean {
    const timeline = this.users.get(e.user);
    return timeline !== undefined && hasHad(timeline, e);
  }

  /**
   * The whole state as plain data, for a snapshot (history-snapshot.ts): every key with its value and
   * estimate, the least recently active first, so that a restored history forgets in the same order.
   * Owners' verdicts are not in it: they are loaded from the database at every start. A copy: the
   * history may change after (a snapshot is encoded over several turns of the event loop), but for
   * the charges of the events, which a ChargeFreeze keeps as they were.
   */
  exportState(): HistoryState {
    const kinds = new Map<BudgetedMap<unknown>, KeyKind>([
      [this.users, 'user'],
      [this.ips, 'ip'],
      [this.devices, 'device'],
      [this.profiles, 'profile'],
      [this.stories, 'story'],
    ] as Array<[BudgetedMap<unknown>, KeyKind]>);
    const keys: KeyState[] = [];
    for (const entry of this.budget.entries()) {
      const kind = kinds.get(entry.owner as BudgetedMap<unknown>) as KeyKind;
      const { key, bytes } = entry;
      if (kind === 'profile') keys.push({ kind, key, bytes, profile: (entry.value as Profile).state() });
      else if (kind === 'story') keys.push({ kind, key, bytes, marks: (entry.value as KeptMark[]).map((m) => m.plain()) });
      else {
        // Long timelines grow and shrink in place.
        const t = entry.value as Timeline;
        keys.push({ kind, key, bytes, events: Array.isArray(t) ? t.slice() : [t] });
      }
    }
    const population: PopulationState[] = [];
    for (const [key, sample] of this.population) population.push({ key, ...sample.state() });
    return { keys, population };
  }

  /**
   * Takes the state of a snapshot into this history, which must be empty (just built). Its events come
   * by number from the snapshot's table, made once each however many keys hold them;
   * the other values are taken as they are (not copied): the caller hands over what it decoded. Past
   * the budget (a smaller VIGIL_DETECTION_MEMORY_MB than when it was taken), the least recently active
   * keys go first.
   */
  restore(state: SnapshotState): void {
    if (this.budget.usage().keys > 0 || this.population.size > 0) throw new Error('restore() needs an empty history');
    const { table } = state;
    // One stored form per event, charged to the holder the live history charged (the keys' estimates
    // below include it). An array by number, not a map by object: a restore makes a million of them.
    const stored: Array<StoredEvent | undefined> = new Array(table.size);
    const storedAt = (i: number): StoredEvent => {
      let s = stored[i];
      if (s === undefined) {
        s = table.event(i);
        s.restoreCharge(table.chargedTo(i));
        stored[i] = s;
      }
      return s;
    };
    // The timeline restored last: an event's user's, address's and device's keys were written one
    // after the other, so their timelines come one after the other, and one list serves those that
    // hold the same events, as it did before the restart (sameShortList).
    let previous: Timeline | undefined;
    const timelineOf = (events: ArrayLike<number>, kind: HolderKind): Timeline => {
      const kept: StoredEvent[] = new Array(events.length);
      for (let i = 0; i < events.length; i++) {
        const s = storedAt(events[i] as number);
        s.hold(kind);
        kept[i] = s;
      }
      const timeline = kept.length === 1 ? (kept[0] as StoredEvent) : kept;
      previous = previous !== undefined && sameShortList(timeline, previous) ? previous : timeline;
      return previous;
    };
    for (const k of state.keys) {
      switch (k.kind) {
        case 'user':
          restoreKey(this.users, k.key, k.bytes, timelineOf(k.events, HolderKind.user));
          break;
        case 'ip':
          restoreKey(this.ips, k.key, k.bytes, timelineOf(k.events, HolderKind.ip));
          break;
        case 'device':
          restoreKey(this.devices, k.key, k.bytes, timelineOf(k.events, HolderKind.device));
          break;
        case 'profile': {
          const last = k.profile.lastLogin;
          const lastLogin = last === undefined ? undefined : storedAt(last);
          lastLogin?.hold(HolderKind.profile);
          restoreKey(this.profiles, k.key, k.bytes, Profile.from({ ...k.profile, lastLogin }));
          break;
        }
        case 'story':
          restoreKey(
            this.stories,
            k.key,
            k.bytes,
            k.marks.map((m) => KeptMark.of(m)),
          );
          break;
        default:
          assertNever(k);
      }
    }
    this.compactor.seed(table.pooledTexts(), table.clients(), table.localities());
    for (const p of state.population) {
      if (this.population.size >= MAX_POPULATION_KEYS) break;
      this.population.set(p.key, PopulationSample.from(p));
    }
    this.budget.enforce();
  }

  /** Users, IPs and devices currently tracked: for the memory figure of the benchmark. */
  size(): { users: number; ips: number; devices: number } {
    return { users: this.users.size, ips: this.ips.size, devices: this.devices.size };
  }

  /**
   * The keys whose timeline is a list, and how many lists serve them (one may serve several keys, see
   * sameShortList): for the benchmark's figures and the tests. Walks every key.
   */
  timelineLists(): { keys: number; lists: number } {
    const lists = new Set<unknown>();
    let keys = 0;
    for (const { owner, value } of this.budget.entries()) {
      if ((owner === this.users || owner === this.ips || owner === this.devices) && Array.isArray(value) && value !== NO_EVENTS) {
        keys++;
        lists.add(value);
      }
    }
    return { keys, lists: lists.size };
  }
}

export type KeyKind = 'user' | 'ip' | 'device' | 'profile' | 'story';

/** One transaction amount of a user in a currency, at its event time. */
export interface AmountPoint {
  readonly at: number;
  readonly amount: number;
}

/** One kept key of a MemoryHistory, as plain data (see exportState). */
export type KeyState =
  | { readonly kind: 'user' | 'ip' | 'device'; readonly key: string; readonly bytes: number; readonly events: readonly PastEvent[] }
  | { readonly kind: 'profile'; readonly key: string; readonly bytes: number; readonly profile: ProfileState }
  | { readonly kind: 'story'; readonly key: string; readonly bytes: number; readonly marks: readonly StoryMark[] };

export interface ProfileState {
  readonly loginMinutes: readonly number[];
  readonly logins: number;
  readonly lastLogin: PastEvent | undefined;
  readonly transactions: number;
  readonly lastTransactionAt: number | undefined;
  readonly merchants: readonly string[];
  /** Its transactions' amounts per currency, the currency it used first first. */
  readonly amounts: readonly CurrencyAmounts[];
}

/** An account's transaction amounts in one currency, oldest first (at most MAX_AMOUNTS). */
export interface CurrencyAmounts {
  readonly currency: string;
  readonly points: readonly AmountPoint[];
}

export interface PopulationState {
  readonly key: string;
  /** The ring of latest amounts, its slots in order (POPULATION_RING of them). */
  readonly ring: Float64Array;
  readonly count: number;
  /** The median last computed and how many amounts came since: the same answers until its refresh. */
  readonly cached: PopulationBaseline | undefined;
  readonly sinceRefresh: number;
}

/** A MemoryHistory's state as plain data, for a snapshot. */
export interface HistoryState {
  /** The least recently active first. */
  readonly keys: readonly KeyState[];
  readonly population: readonly PopulationState[];
}

/**
 * A snapshot's remembered events by number (history-snapshot.ts decodes them), each made in the form
 * this history keeps, with the parts it shared when it was taken shared again: a restore neither
 * compacts nor compares (a million events' comparisons with their neighbours were most of a restore).
 */
export interface EventTable {
  readonly size: number;
  /** Event i, a new object at each call, held by no timeline yet. */
  event(i: number): StoredEvent;
  /** Which holder's estimate carried event i's bytes (StoredEvent.chargedTo). */
  chargedTo(i: number): HolderKind | undefined;
  /**
   * The texts a compactor pools (places', purchases', paths, user agents) of its events, each once, in
   * the order of the snapshot's strings: those of the least recently active keys first.
   */
  pooledTexts(): readonly string[];
  /** The browsers its events came from, each once. */
  clients(): Iterable<Client>;
  /** The localities its places are in, each once. */
  localities(): Iterable<Locality>;
}

/** A HistoryState as a snapshot holds it: events named by their number in its table. */
export interface SnapshotState {
  readonly table: EventTable;
  /** The least recently active first. */
  readonly keys: readonly SnapshotKeyState[];
  readonly population: readonly PopulationState[];
}

export type SnapshotKeyState =
  | { readonly kind: 'user' | 'ip' | 'device'; readonly key: string; readonly bytes: number; readonly events: ArrayLike<number> }
  | {
      readonly kind: 'profile';
      readonly key: string;
      readonly bytes: number;
      readonly profile: Omit<ProfileState, 'lastLogin'> & { readonly lastLogin: number | undefined };
    }
  | { readonly kind: 'story'; readonly key: string; readonly bytes: number; readonly marks: readonly StoryMark[] };

function restoreKey<V>(map: BudgetedMap<V>, key: string, bytes: number, value: V): void {
  const slot = map.upsert(key, () => value);
  map.charge(slot, bytes - map.bytesAt(slot));
}

const noEvents = (): Timeline => NO_EVENTS;
const newProfile = (): Profile => new Profile();
/** The empty list of amounts, shared (a list is copied on insert while short). */
const NO_AMOUNTS: number[] = [];

/**
 * The list with a transaction's time and amount inserted by time, at most MAX_AMOUNTS of the latest:
 * a new list, exactly sized, while short (most accounts have a few amounts); grown in place when long.
 */
function withAmount(list: number[], at: number, amount: number): number[] {
  let i = list.length;
  while (i > 0 && (list[i - 2] as number) > at) i -= 2;
  let next = list;
  if (list.length < 2 * EXACT_BELOW)
    next = i === list.length ? list.concat(at, amount) : list.slice(0, i).concat(at, amount, list.slice(i));
  else list.splice(i, 0, at, amount);
  if (next.length > 2 * MAX_AMOUNTS) next.splice(0, next.length - 2 * MAX_AMOUNTS);
  return next;
}

/** A list of times and amounts: none when empty (shared), else like a timeline's list, in doubles. */
function amountListBytes(list: readonly number[]): number {
  if (list.length === 0) return 0;
  return list.length < 2 * EXACT_BELOW ? 32 + listBytes(list.length) : 32 + 16 + 12 * list.length + 128;
}

/** A profile's Map of amounts in its other currencies, empty: its object and smallest table. */
const OTHER_AMOUNTS_BYTES = 200;

function pointsOf(list: readonly number[]): AmountPoint[] {
  const points: AmountPoint[] = [];
  for (let i = 0; i < list.length; i += 2) points.push({ at: list[i] as number, amount: list[i + 1] as number });
  return points;
}

function assertNever(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}

const DAY = 24 * HOUR;

// Estimates for the byte budget, measured with bench/detection-memory.ts (heap per kept event and
// per key against these figures) and rounded up, so the budget is a ceiling of the heap it keeps.
// An event's own bytes are StoredEvent.ownBytes.
/**
 * A kept user, IP or device: its Map slot (up to 112: a hash table's entry is 28 bytes a slot, and
 * under eviction a table holds up to four slots per live key before it shrinks; its row in the
 * budget's columns is counted by the budget itself); a timeline of one event is the event itself, a
 * longer one's list is charged by containerBytes.
 */
const TIMELINE_BYTES = 128;
/** The same with an array (story marks): its header and backing store's header. */
const ARRAY_BYTES = 168;
/** The same with a Profile: its object (96) and its boxed times (32). */
const PROFILE_BYTES = 256;

const NO_MERCHANTS: readonly string[] = [];
/**
 * A login minute's UTF-16 unit in a profile's string: the minute itself, or NO_MINUTE for a login at
 * no time of day (a time that is not a number: NaN, which the usual hours skip, as they did when the
 * ring was a list of numbers).
 */
const NO_MINUTE = 0xffff;
const minuteUnit = (minute: number): number => (Number.isInteger(minute) && minute >= 0 && minute < NO_MINUTE ? minute : NO_MINUTE);
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
  private ring = new Float64Array(POPULATION_RING);
  private count = 0;
  private cached: PopulationBaseline | undefined;
  private sinceRefresh = 0;

  static from(state: PopulationState): PopulationSample {
    const sample = new PopulationSample();
    if (state.ring.length === POPULATION_RING) sample.ring = Float64Array.from(state.ring);
    sample.count = state.ring.length === POPULATION_RING ? state.count : 0;
    sample.cached = sample.count === 0 ? undefined : state.cached;
    sample.sinceRefresh = state.sinceRefresh;
    return sample;
  }

  state(): Omit<PopulationState, 'key'> {
    return { ring: this.ring.slice(), count: this.count, cached: this.cached, sinceRefresh: this.sinceRefresh };
  }

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
  /**
   * A ring of the latest logins' times of day (old habits fade as new ones come), one minute of the
   * day (below 1,440) per UTF-16 unit: a string of two minutes takes 24 bytes where a list of them
   * took 64 (its object, its backing store, a slot each), and every account has one. Made anew, flat,
   * at each login; read as numbers only by the behaviour-anomaly features.
   */
  private minutes = '';
  logins = 0;
  lastLogin: StoredEvent | undefined;
  transactions = 0;
  lastTransactionAt: number | undefined;
  /** The merchants' list, or its one merchant alone: most accounts buy from one (a list of one took 56 bytes). */
  private merchantList: string | readonly string[] = NO_MERCHANTS;
  /**
   * Its transactions' times and amounts (t0, a0, t1, a1, …, unboxed doubles, by time) in the
   * currency it used first; most accounts pay in one. Its other currencies', if any, by currency.
   */
  amountCurrency: string | undefined;
  amounts: number[] = NO_AMOUNTS;
  otherAmounts: Map<string, number[]> | undefined;

  static from(state: ProfileState): Profile {
    const profile = new Profile();
    profile.minutes = String.fromCharCode(...state.loginMinutes.map(minuteUnit));
    profile.logins = state.logins;
    // A restore hands over the history's own form of it (MemoryHistory.restore).
    profile.lastLogin = state.lastLogin as StoredEvent | undefined;
    profile.transactions = state.transactions;
    profile.lastTransactionAt = state.lastTransactionAt;
    const merchants = state.merchants;
    if (merchants.length > 0) profile.merchantList = merchants.length === 1 ? (merchants[0] as string) : [...merchants];
    for (const { currency, points } of state.amounts) {
      const list = points.flatMap((p) => [p.at, p.amount]);
      if (profile.amountCurrency === undefined) {
        profile.amountCurrency = currency;
        profile.amounts = list;
      } else {
        profile.otherAmounts ??= new Map();
        profile.otherAmounts.set(currency, list);
      }
    }
    return profile;
  }

  state(): ProfileState {
    return {
      loginMinutes: this.loginMinutes,
      logins: this.logins,
      lastLogin: this.lastLogin,
      transactions: this.transactions,
      lastTransactionAt: this.lastTransactionAt,
      merchants: this.merchants,
      amounts:
        this.amountCurrency === undefined
          ? []
          : [
              { currency: this.amountCurrency, points: pointsOf(this.amounts) },
              ...Array.from(this.otherAmounts ?? [], ([currency, list]) => ({ currency, points: pointsOf(list) })),
            ],
    };
  }

  /** The times and amounts of its transactions in this currency, if any. */
  amountsIn(currency: string): readonly number[] | undefined {
    return currency === this.amountCurrency ? this.amounts : this.otherAmounts?.get(currency);
  }

  addAmount(currency: string, at: number, amount: number): void {
    if (this.amountCurrency === undefined || this.amountCurrency === currency) {
      this.amountCurrency = currency;
      this.amounts = withAmount(this.amounts, at, amount);
    } else {
      this.otherAmounts ??= new Map();
      this.otherAmounts.set(currency, withAmount(this.otherAmounts.get(currency) ?? NO_AMOUNTS, at, amount));
    }
  }

  /** The ring's minutes, as numbers (a new list at each call). */
  get loginMinutes(): number[] {
    const minutes: number[] = new Array(this.minutes.length);
    for (let i = 0; i < minutes.length; i++) {
      const unit = this.minutes.charCodeAt(i);
      minutes[i] = unit === NO_MINUTE ? Number.NaN : unit;
    }
    return minutes;
  }

  /** Merchants of its latest transactions (a new list at each call when there is one). */
  get merchants(): readonly string[] {
    const list = this.merchantList;
    return typeof list === 'string' ? [list] : list;
  }

  /** What the profile holds beyond its fixed size: login minutes, merchants' list and names, amounts. */
  bytes(): number {
    // Two bytes a minute (a minute past 255 makes the string two-byte), rounded to 8, and its header.
    let bytes = this.minutes.length === 0 ? 0 : 16 + ((2 * this.minutes.length + 7) & ~7);
    const list = this.merchantList;
    if (typeof list === 'string') bytes += stringBytes(list);
    else {
      if (list !== NO_MERCHANTS) bytes += 32 + listBytes(list.length);
      for (const m of list) bytes += stringBytes(m);
    }
    bytes += stringBytes(this.amountCurrency) + amountListBytes(this.amounts);
    if (this.otherAmounts !== undefined) {
      // A small Map: its object and table, and per currency a slot, its name and its list.
      bytes += OTHER_AMOUNTS_BYTES;
      for (const [currency, list] of this.otherAmounts) bytes += 64 + stringBytes(currency) + amountListBytes(list);
    }
    return bytes;
  }

  addLogin(e: StoredEvent): void {
    const slot = this.logins % PROFILE_LOGINS;
    const minute = Math.floor((((e.occurredAt % DAY) + DAY) % DAY) / MINUTE);
    // Made from its units, not concatenated: a concatenation of 13 units or more is a rope in V8, an
    // object holding both halves.
    const units = this.loginMinutes;
    units[slot] = minute;
    this.minutes = String.fromCharCode(...units.map(minuteUnit));
    this.logins++;
    // By event time, so a late event does not become "the last login".
    if (this.lastLogin === undefined || e.occurredAt >= this.lastLogin.occurredAt) this.lastLogin = e;
  }

  addTransaction(e: PastEvent): void {
    this.transactions++;
    if (this.lastTransactionAt === undefined || e.occurredAt > this.lastTransactionAt) this.lastTransactionAt = e.occurredAt;
    if (e.merchant === undefined) return;
    const merchant = e.merchant;
    // Distinct, the latest last: an earlier use of the same merchant moves to the end.
    const list = this.merchantList;
    if (list === merchant) return;
    let next = (typeof list === 'string' ? [list] : list.filter((m) => m !== merchant)).concat(merchant);
    if (next.length > PROFILE_MERCHANTS) next = next.slice(1);
    this.merchantList = next.length === 1 ? (next[0] as string) : next;
  }
}
