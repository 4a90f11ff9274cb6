import type { Severity } from '../src/domain/severity.js';
import { distanceKm, type GeoCity } from './geo-table.js';
import type { CorpusParams } from './params.js';
import { type AddressBook, newCard } from './population.js';
import type { Rng } from './rng.js';
import {
  ACCOUNT_PATHS,
  ATTACKER_USER_AGENTS,
  COUNTRY_INFO,
  DAY,
  type EventSink,
  GIFT_CARD_MERCHANTS,
  HOUR,
  type LabelledEvent,
  MERCHANTS,
  MIN,
  roundMoney,
  SCRIPT_USER_AGENTS,
  SHOP_PATHS,
  type Shopper,
} from './world.js';

/**
 * The attack kinds and the severity each must be alerted at: THE table the lead tunes against. A
 * story counts as detected when an alert raised or updated by one of its events ends at this
 * severity or above.
 *
 * | kind                        | severity | story                                                                  |
 * | --------------------------- | -------- | ---------------------------------------------------------------------- |
 * | takeover-chain              | critical | new-device login, password (and email) change, purchase on that device  |
 * | takeover-mfa-off            | critical | new-device login, two-factor turned off, purchase                       |
 * | takeover-login-elsewhere    | critical | new-device login, credential change, login from another new device      |
 * | card-testing                | high     | many tiny payments, mostly failing, with several cards                  |
 * | large-purchase-new-device   | high     | new device and network, then 20–40× the usual basket at gift cards      |
 * | session-hijack              | high     | the owner's session id from a new IP and browser, then a sensitive act  |
 * | brute-then-success          | high     | many failed logins on one account, then a success                      |
 * | impossible-travel           | high     | a login at home, then one thousands of km away faster than any flight  |
 * | brute-force                 | medium   | many failed logins on one account                                       |
 * | credential-stuffing         | medium   | one IP failing on many accounts                                         |
 * | credential-churn            | medium   | several credential changes in a short time                              |
 */
export const EXPECTED_SEVERITY = {
  'takeover-chain': 'critical',
  'takeover-mfa-off': 'critical',
  'takeover-login-elsewhere': 'critical',
  'card-testing': 'high',
  'large-purchase-new-device': 'high',
  'session-hijack': 'high',
  'brute-then-success': 'high',
  'impossible-travel': 'high',
  'brute-force': 'medium',
  'credential-stuffing': 'medium',
  'credential-churn': 'medium',
} as const satisfies Record<string, Exclude<Severity, 'none' | 'low'>>;

export type AttackKind = keyof typeof EXPECTED_SEVERITY;
export const ATTACK_KINDS = Object.keys(EXPECTED_SEVERITY) as AttackKind[];

export interface Story {
  readonly id: string;
  readonly kind: AttackKind;
  readonly start: number;
  /** The accounts it touched; their ordinary events from `start` on are not counted as ordinary. */
  readonly users: readonly string[];
  readonly events: readonly LabelledEvent[];
}

/** What a story needs to know of its victim: their habits up to the story. */
export interface VictimView {
  readonly shopper: Shopper;
  /** Their ordinary purchase amounts before the story. */
  readonly amountsBefore: readonly number[];
}

interface StoryContext {
  readonly params: CorpusParams;
  readonly rng: Rng;
  readonly sink: EventSink;
  readonly addresses: AddressBook;
  readonly countries: readonly string[];
  readonly id: string;
  readonly kind: AttackKind;
  readonly start: number;
  /** Any account with history (it may be in other stories), for credential stuffing's list. */
  readonly anyAccount: () => Shopper;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : ((s[Math.floor((s.length - 1) / 2)] as number) + (s[Math.ceil((s.length - 1) / 2)] as number)) / 2;
};

/** Where the attacker comes from: another country (mostly), or the victim's country on another network. */
function attackerPlace(c: StoryContext, victim: Shopper, otherCountry = 0.7): { ip: string; city: GeoCity } {
  const { rng, addresses } = c;
  const country = rng.chance(otherCountry) ? rng.pick(c.countries.filter((x) => x !== victim.country)) : victim.country;
  const all = addresses.cities(country);
  const others = all.filter((x) => x !== victim.city).slice(0, 6);
  const city = rng.pick(others.length > 0 ? others : all);
  return { ip: addresses.attacker(rng, city), city };
}

/** Builds one story of this kind on this victim. */
export function buildStory(c: StoryContext, v: VictimView): Story {
  const { rng, sink, params } = c;
  const a = params.attack;
  const victim = v.shopper;
  const users = new Set([victim.id]);
  const events: LabelledEvent[] = [];
  let t = c.start;
  const emit = (at: number, event: Record<string, unknown>) => {
    const e = sink.add(c.kind, at, { user: victim.id, ...event } as never, c.id);
    events.push(e);
    return e;
  };
  const minutes = (range: readonly [number, number]) => rng.range(range) * MIN;
  const attackerDevice = () => ({ device: `dev-${rng.hex(16)}`, userAgent: rng.pick(ATTACKER_USER_AGENTS) });
  const session = () => `s-${rng.hex(20)}`;
  const usual = v.amountsBefore.length >= 5 ? median(v.amountsBefore) : (COUNTRY_INFO[victim.country]?.basket ?? victim.medianAmount);
  const browse = (ctx: Record<string, unknown>, paths: readonly string[], max: number) => {
    const n = rng.int(0, max);
    for (let i = 0; i < n; i++) {
      t += rng.int(5, 40) * 1000;
      emit(t, { type: 'page.viewed', path: rng.pick(paths), ...ctx });
    }
  };
  const purchase = (ctx: Record<string, unknown>, amount: number, merchant: string, card = victim.paymentMethod) =>
    emit(t, {
      type: 'transaction',
      amount: roundMoney(amount, victim.currency),
      currency: victim.currency,
      merchant,
      paymentMethod: card,
      ...ctx,
    });
  const change = (type: string, ctx: Record<string, unknown>) =>
    emit(t, {
      type,
      ...ctx,
      ...(type === 'email.changed' && { email: `${victim.id.replace('user', 'x')}.${rng.hex(4)}@mailbox.example` }),
      ...(type === 'payment_method.changed' && { paymentMethod: newCard(rng) }),
    });

  switch (c.kind) {
    case 'takeover-chain': {
      const place = attackerPlace(c, victim);
      const ctx = { ...attackerDevice(), ip: place.ip, session: session() };
      emit(t, { type: 'login.succeeded', ...ctx });
      browse(ctx, ACCOUNT_PATHS, 2);
      const changes = rng.chance(0.85) ? rng.shuffle(['password.changed', 'email.changed']) : ['password.changed'];
      for (const type of changes) {
        t += minutes(a.changeAfterLoginMin);
        change(type, ctx);
      }
      t += minutes(a.purchaseAfterChangeMin);
      const buyCtx = rng.chance(0.6) ? ctx : { ...ctx, session: session() };
      if (buyCtx !== ctx) {
        emit(t, { type: 'login.succeeded', ...buyCtx });
        t += rng.int(20, 120) * 1000;
      }
      purchase(buyCtx, usual * rng.float(1, 6), rng.chance(0.5) ? rng.pick(GIFT_CARD_MERCHANTS) : 'electronics');
      break;
    }
    case 'takeover-mfa-off': {
      const place = attackerPlace(c, victim);
      const ctx = { ...attackerDevice(), ip: place.ip, session: session() };
      emit(t, { type: 'login.succeeded', ...ctx });
      browse(ctx, ACCOUNT_PATHS, 2);
      t += minutes(a.changeAfterLoginMin);
      emit(t, { type: 'mfa.disabled', ...ctx });
      t += minutes(a.purchaseAfterChangeMin);
      purchase(ctx, usual * rng.float(1, 8), rng.chance(0.5) ? rng.pick(GIFT_CARD_MERCHANTS) : rng.pick(MERCHANTS));
      break;
    }
    case 'takeover-login-elsewhere': {
      const place = attackerPlace(c, victim);
      const ctx = { ...attackerDevice(), ip: place.ip, session: session() };
      emit(t, { type: 'login.succeeded', ...ctx });
      const changes = rng.weighted([
        [['password.changed'], 2],
        [['email.changed'], 1],
        [rng.shuffle(['password.changed', 'email.changed']), 2],
      ] as const);
      for (const type of changes) {
        t += minutes(a.changeAfterLoginMin);
        change(type, ctx);
      }
      t += minutes(a.secondLoginAfterChangeMin);
      const other = attackerPlace(c, victim, 0.6);
      emit(t, { type: 'login.succeeded', ...attackerDevice(), ip: other.ip, session: session() });
      break;
    }
    case 'large-purchase-new-device': {
      const place = attackerPlace(c, victim, 0.5);
      const ctx = { ...attackerDevice(), ip: place.ip, session: session() };
      emit(t, { type: 'login.succeeded', ...ctx });
      browse(ctx, SHOP_PATHS, 3);
      t = Math.max(t + 1000, c.start + minutes(a.largePurchaseAfterLoginMin));
      // Too few purchases to know the account's basket: the population's typical one.
      const typical = v.amountsBefore.length >= 5 ? usual : (COUNTRY_INFO[victim.country]?.basket ?? usual);
      purchase(ctx, typical * rng.range(a.largePurchaseMultiple), rng.pick(GIFT_CARD_MERCHANTS));
      break;
    }
    case 'session-hijack': {
      // The owner signs in as usual; minutes later their session id turns up elsewhere.
      const own = victim.devices.find((d) => d.kind === 'phone') ?? (victim.devices[0] as Shopper['devices'][number]);
      const sid = session();
      const mine = { device: own.id, userAgent: own.userAgent, ip: victim.homeIp, session: sid };
      emit(t, { type: 'login.succeeded', ...mine });
      for (let i = rng.int(1, 3); i > 0; i--) {
        t += rng.int(10, 90) * 1000;
        emit(t, { type: 'page.viewed', path: rng.pick(SHOP_PATHS), ...mine });
      }
      t += minutes(a.hijackAfterVictimMin);
      const place = attackerPlace(c, victim, 0.6);
      const device = rng.weighted([
        [{ device: own.id }, 2],
        [{ device: `dev-${rng.hex(16)}` }, 1],
        [{}, 1],
      ] as const);
      const theirs = {
        ...device,
        userAgent: rng.pick(ATTACKER_USER_AGENTS.filter((u) => u !== own.userAgent)),
        ip: place.ip,
        session: sid,
      };
      emit(t, { type: 'page.viewed', path: rng.pick(ACCOUNT_PATHS), ...theirs });
      t += rng.int(20, 180) * 1000;
      const act = rng.pick(['email.changed', 'password.changed', 'payment_method.changed', 'transaction'] as const);
      if (act === 'transaction') purchase(theirs, usual * rng.float(2, 10), rng.pick(GIFT_CARD_MERCHANTS));
      else change(act, theirs);
      break;
    }
    case 'brute-force':
    case 'brute-then-success': {
      const place = attackerPlace(c, victim, 0.8);
      const ips = [place.ip];
      if (rng.chance(0.3)) for (let i = rng.int(1, 3); i > 0; i--) ips.push(attackerPlace(c, victim, 0.8).ip);
      const ctx = { ...attackerDevice(), userAgent: rng.pick(SCRIPT_USER_AGENTS) };
      const attempts = rng.int(...((c.kind === 'brute-force' ? a.bruteForceAttempts : a.bruteThenSuccessAttempts) as [number, number]));
      const gap = rng.range(a.bruteForceGapSec);
      for (let i = 0; i < attempts; i++) {
        if (i > 0) t += gap * rng.float(0.5, 1.5) * 1000;
        emit(t, { type: 'login.failed', ...ctx, ip: rng.pick(ips), attributes: { reason: 'wrong_password' } });
      }
      if (c.kind === 'brute-then-success') {
        t += gap * rng.float(0.5, 1.5) * 1000;
        emit(t, { type: 'login.succeeded', ...ctx, ip: ips[ips.length - 1], session: session() });
      }
      break;
    }
    case 'credential-stuffing': {
      const place = attackerPlace(c, victim, 0.8);
      const ua = rng.pick(SCRIPT_USER_AGENTS);
      const accounts = rng.int(...(a.stuffingAccounts as [number, number]));
      for (let i = 0; i < accounts; i++) {
        // A leaked list: most names are not customers of this shop; some are.
        const known = i === 0 ? victim : rng.chance(0.1) ? c.anyAccount() : undefined;
        const user = known?.id ?? `${rng.pick(['anna', 'li', 'max', 'sam', 'eva', 'omar', 'kim', 'ravi'])}.${rng.hex(6)}@leak.example`;
        if (known) users.add(known.id);
        if (i > 0) t += rng.range(a.stuffingGapSec) * 1000;
        const e = sink.add(
          c.kind,
          t,
          {
            type: 'login.failed',
            user,
            ip: place.ip,
            userAgent: ua,
            attributes: { reason: known ? 'wrong_password' : 'unknown_user' },
          } as never,
          c.id,
        );
        events.push(e);
      }
      break;
    }
    case 'card-testing': {
      const place = attackerPlace(c, victim, 0.6);
      const ctx = { ...attackerDevice(), ip: place.ip, session: session() };
      emit(t, { type: 'login.succeeded', ...ctx });
      const cards = Array.from({ length: rng.int(3, 8) }, () => newCard(rng));
      const attempts = rng.int(...(a.cardTestingAttempts as [number, number]));
      for (let i = 0; i < attempts; i++) {
        t += rng.range(a.cardTestingGapSec) * 1000;
        const amount = rng.float(0.5, 3) * (victim.currency === 'JPY' ? 100 : 1);
        const base = {
          amount: roundMoney(amount, victim.currency),
          currency: victim.currency,
          merchant: rng.pick(['digital-goods', 'donations', ...GIFT_CARD_MERCHANTS]),
          paymentMethod: rng.pick(cards),
          ...ctx,
        };
        emit(
          t,
          rng.chance(0.75)
            ? {
                type: 'payment.failed',
                ...base,
                attributes: { reason: rng.pick(['card_declined', 'incorrect_cvc', 'insufficient_funds']) },
              }
            : { type: 'transaction', ...base },
        );
      }
      break;
    }
    case 'impossible-travel': {
      const own = victim.devices[0] as Shopper['devices'][number];
      emit(t, { type: 'login.succeeded', device: own.id, userAgent: own.userAgent, ip: victim.homeIp, session: session() });
      // Somewhere at least 3,000 km away, sooner than 1,500 km/h allows.
      const far = c.countries.flatMap((x) => c.addresses.cities(x).slice(0, 4)).filter((city) => distanceKm(city, victim.city) >= 3000);
      const city = rng.pick(far);
      const gap = Math.min(minutes(a.impossibleTravelGapMin), (distanceKm(city, victim.city) / 1500) * HOUR);
      t += gap;
      const device = rng.chance(0.7) ? attackerDevice() : { device: own.id, userAgent: rng.pick(ATTACKER_USER_AGENTS) };
      emit(t, { type: 'login.succeeded', ...device, ip: c.addresses.attacker(rng, city), session: session() });
      break;
    }
    case 'credential-churn': {
      const own = victim.devices[0] as Shopper['devices'][number];
      const ctx = rng.chance(0.5)
        ? { device: own.id, userAgent: own.userAgent, ip: victim.homeIp, session: session() }
        : { ...attackerDevice(), ip: attackerPlace(c, victim).ip, session: session() };
      emit(t, { type: 'login.succeeded', ...ctx });
      const n = rng.int(...(a.churnChanges as [number, number]));
      for (let i = 0; i < n; i++) {
        t += minutes(a.churnGapMin);
        change(
          rng.weighted([
            ['password.changed', 5],
            ['email.changed', 2],
            ['payment_method.changed', 1],
            ['mfa.disabled', 1],
          ] as const),
          ctx,
        );
      }
      break;
    }
  }
  return { id: c.id, kind: c.kind, start: c.start, users: [...users], events };
}

/** Picks each story's time and victim: accounts with at least three days of history, one story each. */
export function planStories(
  params: CorpusParams,
  rng: Rng,
  shoppers: readonly Shopper[],
  benign: readonly LabelledEvent[],
  addresses: AddressBook,
  sink: EventSink,
): Story[] {
  const start = Date.parse(params.start);
  const firstSeen = new Map<string, number>();
  const purchases = new Map<string, { at: number; amount: number }[]>();
  for (const e of benign) {
    const u = e.event.user;
    if (!firstSeen.has(u) || (firstSeen.get(u) as number) > e.at) firstSeen.set(u, e.at);
    if (e.event.type === 'transaction') {
      let list = purchases.get(u);
      if (!list) {
        list = [];
        purchases.set(u, list);
      }
      list.push({ at: e.at, amount: e.event.amount as number });
    }
  }
  const countries = [...addresses.table.countries.keys()];
  const used = new Set<string>();
  const byId = new Map(shoppers.map((s) => [s.id, s]));
  const pickVictim = (at: number): Shopper => {
    for (let tries = 0; tries < 10_000; tries++) {
      const s = rng.pick(shoppers);
      const first = firstSeen.get(s.id);
      if (!used.has(s.id) && first !== undefined && first <= at - 3 * DAY) {
        used.add(s.id);
        return s;
      }
    }
    throw new Error('not enough accounts with history for the stories: raise --users');
  };
  const anyAccount = (at: number): Shopper => {
    for (;;) {
      const s = rng.pick(shoppers);
      if ((firstSeen.get(s.id) ?? Number.POSITIVE_INFINITY) <= at - DAY) return s;
    }
  };
  const stories: Story[] = [];
  for (const kind of ATTACK_KINDS) {
    for (let i = 0; i < params.storiesPerKind; i++) {
      const at = start + rng.float(6, params.days - 0.5) * DAY;
      const victim = pickVictim(at);
      const id = `${kind}-${String(i + 1).padStart(3, '0')}`;
      const story = buildStory(
        {
          params,
          rng: rng.fork(id),
          sink,
          addresses,
          countries,
          id,
          kind,
          start: at,
          anyAccount: () => anyAccount(at),
        },
        {
          shopper: byId.get(victim.id) as Shopper,
          amountsBefore: (purchases.get(victim.id) ?? []).filter((p) => p.at < at).map((p) => p.amount),
        },
      );
      stories.push(story);
    }
  }
  return stories;
}
