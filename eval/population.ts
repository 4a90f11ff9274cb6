import { distanceKm, type GeoCity, type GeoTable } from './geo-table.js';
import type { CorpusParams, Route } from './params.js';
import type { Rng } from './rng.js';
import {
  CARD_BRANDS,
  COUNTRY_INFO,
  DAY,
  type Device,
  type DeviceKind,
  type EventSink,
  HOUR,
  MERCHANTS,
  MIN,
  NEW_PHONE_USER_AGENTS,
  roundMoney,
  SHOP_PATHS,
  type Shopper,
  USER_AGENTS,
} from './world.js';

/** Hands out addresses of one city: a few for its mobile carriers, a few for attackers, the rest for homes. */
export class AddressBook {
  private readonly homesUsed = new Map<GeoCity, number>();

  constructor(readonly table: GeoTable) {}

  cities(country: string): readonly GeoCity[] {
    const cities = this.table.countries.get(country);
    if (!cities) throw new Error(`no geo table entry for ${country}`);
    return cities;
  }

  private split(city: GeoCity) {
    const n = city.addresses.length;
    const mobile = Math.max(2, Math.floor(n / 5));
    const attacker = Math.max(1, Math.floor(n / 5));
    return {
      mobile: city.addresses.slice(0, mobile),
      attacker: city.addresses.slice(mobile, mobile + attacker),
      home: city.addresses.slice(mobile + attacker),
    };
  }

  mobile(city: GeoCity): readonly string[] {
    return this.split(city).mobile;
  }

  /** A household's address: each /24 of the city once, then again (ISPs do share /24s). */
  home(city: GeoCity): string {
    const homes = this.split(city).home;
    const used = this.homesUsed.get(city) ?? 0;
    this.homesUsed.set(city, used + 1);
    return homes[used % homes.length] as string;
  }

  attacker(rng: Rng, city: GeoCity): string {
    return rng.pick(this.split(city).attacker);
  }
}

const newDevice = (rng: Rng, kind: DeviceKind, userAgent?: string): Device => ({
  id: `dev-${rng.hex(16)}`,
  kind,
  userAgent: userAgent ?? rng.pick(USER_AGENTS[kind]),
});

export const newCard = (rng: Rng) => `card_${rng.pick(CARD_BRANDS)}_${rng.int(1000, 9999)}`;

/** The shoppers: where they live, their devices and habits. */
export function buildShoppers(params: CorpusParams, rng: Rng, addresses: AddressBook): Shopper[] {
  const shoppers: Shopper[] = [];
  const p = params.population;
  for (let n = 0; n < params.users; n++) {
    const country = rng.weighted(params.countries);
    const info = COUNTRY_INFO[country];
    if (!info) throw new Error(`no country info for ${country}`);
    const cities = addresses.cities(country);
    // Bigger cities (more addresses) have more shoppers.
    const city = rng.weighted(cities.map((c) => [c, c.addresses.length] as const));
    const kinds: DeviceKind[] = ['phone'];
    if (rng.chance(0.7)) kinds.push('laptop');
    if (rng.chance(0.2)) kinds.push('tablet');
    const id = `user-${String(n + 1).padStart(5, '0')}`;
    shoppers.push({
      id,
      country,
      city,
      currency: info.currency,
      homeIp: addresses.home(city),
      ...(rng.chance(0.35) && { workIp: addresses.home(city) }),
      mobileIps: addresses.mobile(city),
      devices: kinds.map((k) => newDevice(rng, k)),
      email: `${id}@mail.example`,
      activeRate: rng.range(p.activeRate),
      buyRate: rng.range(p.buyRate),
      medianAmount: info.basket * Math.exp(p.basketSpreadUsers * rng.normal()),
      merchants: rng.shuffle(MERCHANTS).slice(0, rng.int(2, 5)),
      paymentMethod: newCard(rng),
      usualHour: rng.float(7, 22),
    });
  }
  // Shared family devices: the second account signs in on the first one's laptop, at the same home.
  const pairs = Math.floor((params.users * p.sharedDevice) / 2);
  for (let i = 0; i < pairs; i++) {
    const a = shoppers[2 * i] as Shopper;
    const b = shoppers[2 * i + 1] as Shopper;
    const laptop = a.devices.find((d) => d.kind !== 'phone') ?? newDevice(rng, 'laptop');
    if (!a.devices.includes(laptop)) a.devices.push(laptop);
    Object.assign(b, {
      country: a.country,
      city: a.city,
      currency: a.currency,
      homeIp: a.homeIp,
      mobileIps: a.mobileIps,
      workIp: a.workIp,
    });
    b.devices = [...b.devices.filter((d) => d.kind === 'phone'), { ...laptop }];
  }
  return shoppers;
}

interface Trip {
  readonly route: Route;
  readonly departAt: number;
  readonly arriveAt: number;
  readonly leaveAt: number;
  readonly backAt: number;
  readonly destIps: readonly string[];
}

/**
 * The ordinary activity of every shopper over the corpus's days, label `benign`: visits around their
 * usual hour, purchases, and the one-off life events (new phone, password reset, a trip abroad …).
 */
export function generateBenign(
  params: CorpusParams,
  rng: Rng,
  shoppers: readonly Shopper[],
  addresses: AddressBook,
  sink: EventSink,
): void {
  const start = Date.parse(params.start);
  const p = params.population;
  for (const s of shoppers) {
    const r = rng.fork(s.id);
    const tz = (COUNTRY_INFO[s.country]?.utcOffset ?? 0) * HOUR;
    const phone = s.devices.find((d) => d.kind === 'phone') as Device;
    let currentPhone = phone;

    // One-off life events, each on a day of its own.
    const replaceDay = r.chance(p.phoneReplaced) ? r.int(3, params.days - 2) : -1;
    const resetDay = r.chance(p.passwordReset) ? r.int(2, params.days - 1) : -1;
    const emailDay = r.chance(p.emailChanged) ? r.int(2, params.days - 1) : -1;
    const cardDay = r.chance(p.paymentMethodChanged) ? r.int(2, params.days - 1) : -1;
    const mfaDay = r.chance(p.mfaEnabled) ? r.int(2, params.days - 1) : -1;
    const trip = r.chance(p.travellers) ? planTrip(params, r, s, addresses, start) : undefined;
    const replacement = { ...newDevice(r, 'phone', r.pick(NEW_PHONE_USER_AGENTS)) };

    const add = (at: number, type: string, device: Device, ip: string, extra: Record<string, unknown> = {}) =>
      sink.add('benign', at, {
        type: type as never,
        user: s.id,
        device: device.id,
        ip,
        userAgent: device.userAgent,
        ...(device.session !== undefined && { session: device.session }),
        ...extra,
      });

    const purchase = (at: number, device: Device, ip: string) => {
      let amount = s.medianAmount * Math.exp(p.basketSpreadUser * r.normal());
      if (r.chance(p.veryLargePurchase)) amount = s.medianAmount * 15;
      else if (r.chance(p.largePurchase)) amount = s.medianAmount * r.float(3, 8);
      if (r.chance(0.015)) {
        // Declined first (expired card, a typo in the CVC), then through.
        add(at, 'payment.failed', device, ip, {
          amount: roundMoney(amount, s.currency),
          currency: s.currency,
          merchant: r.pick(s.merchants),
          paymentMethod: s.paymentMethod,
          attributes: { reason: r.pick(['expired_card', 'incorrect_cvc', 'insufficient_funds']) },
        });
        at += r.int(20, 120) * 1000;
      }
      add(at, 'transaction', device, ip, {
        amount: roundMoney(amount, s.currency),
        currency: s.currency,
        merchant: r.chance(0.8) ? r.pick(s.merchants) : r.pick(MERCHANTS),
        paymentMethod: s.paymentMethod,
      });
    };

    /** One visit: maybe a login (sometimes after a typo or two), pages, maybe a purchase, maybe a logout. */
    const session = (at: number, device: Device, ip: string, opts: { forceLogin?: boolean; noPurchase?: boolean } = {}) => {
      let t = at;
      if (opts.forceLogin || device.session === undefined || r.chance(0.6)) {
        if (r.chance(p.typoPerLogin)) {
          const typos = r.int(1, 2);
          for (let i = 0; i < typos; i++) {
            add(t, 'login.failed', { ...device, session: undefined } as Device, ip, { attributes: { reason: 'wrong_password' } });
            t += r.int(5, 40) * 1000;
          }
        }
        device.session = `s-${r.hex(20)}`;
        add(t, 'login.succeeded', device, ip);
      }
      const pages = r.int(0, 3);
      for (let i = 0; i < pages; i++) {
        t += r.int(10, 150) * 1000;
        add(t, 'page.viewed', device, ip, { path: r.pick(SHOP_PATHS) });
      }
      if (!opts.noPurchase && r.chance(s.buyRate)) {
        t += r.int(30, 300) * 1000;
        purchase(t, device, ip);
      }
      if (r.chance(0.15)) {
        t += r.int(5, 60) * 1000;
        add(t, 'logout', device, ip);
        device.session = undefined;
      }
      return t;
    };

    const ipFor = (device: Device, localHour: number, dayIndex: number) => {
      if (device.kind === 'phone' && r.chance(0.45)) return r.pick(s.mobileIps);
      const weekday = (new Date(start + dayIndex * DAY).getUTCDay() + 6) % 7 < 5;
      if (device.kind === 'laptop' && s.workIp && weekday && localHour >= 9 && localHour < 17 && r.chance(0.6)) return s.workIp;
      return s.homeIp;
    };

    for (let d = 0; d < params.days; d++) {
      const dayStart = start + d * DAY;
      if (d === replaceDay) {
        // The new phone: first login at home, then it is the phone.
        const at = dayStart - tz + r.float(9, 20) * HOUR;
        s.devices = s.devices.map((x) => (x === currentPhone ? replacement : x));
        currentPhone = replacement;
        session(at, replacement, s.homeIp, { forceLogin: true, noPurchase: true });
        continue;
      }
      if (trip && dayStart + DAY > trip.departAt - 12 * HOUR && dayStart < trip.backAt + 2 * HOUR) continue;

      // Account changes come from the device the owner uses every day: their phone.
      const trusted = currentPhone;
      const special = (at: number, type: string, extra: Record<string, unknown> = {}) => {
        const t = session(at, trusted, s.homeIp, { forceLogin: true, noPurchase: true });
        add(t + r.int(20, 120) * 1000, type, trusted, s.homeIp, extra);
      };
      if (d === resetDay) {
        // Forgotten password: a few failures, the reset link, a login with the new one.
        let t = dayStart - tz + r.float(8, 22) * HOUR;
        const fails = r.weighted([
          [0, 3],
          [1, 2],
          [2, 2],
          [3, 1],
        ] as const);
        for (let i = 0; i < fails; i++) {
          add(t, 'login.failed', { ...trusted, session: undefined } as Device, s.homeIp, { attributes: { reason: 'wrong_password' } });
          t += r.int(8, 60) * 1000;
        }
        t += r.int(1, 10) * MIN;
        add(t, 'password.changed', { ...trusted, session: undefined } as Device, s.homeIp, { attributes: { via: 'reset_link' } });
        t += r.int(20, 180) * 1000;
        session(t, trusted, s.homeIp, { forceLogin: true });
        continue;
      }
      if (d === emailDay) special(dayStart - tz + r.float(9, 21) * HOUR, 'email.changed', { email: `${s.id}.new@mail.example` });
      if (d === cardDay) {
        s.paymentMethod = newCard(r);
        special(dayStart - tz + r.float(9, 21) * HOUR, 'payment_method.changed', { paymentMethod: s.paymentMethod });
      }
      if (d === mfaDay) special(dayStart - tz + r.float(9, 21) * HOUR, 'mfa.enabled');
      if (!r.chance(s.activeRate)) continue;
      const visits = r.weighted([
        [1, 6],
        [2, 3],
        [3, 1],
      ] as const);
      for (let v = 0; v < visits; v++) {
        const localHour = Math.min(23.9, Math.max(6, s.usualHour + r.normal() * 2));
        const device = r.chance(0.6) ? currentPhone : r.pick(s.devices);
        session(dayStart - tz + localHour * HOUR, device, ipFor(device, localHour, d));
      }
    }

    if (trip) {
      // Last login at home, the flight, first login at the destination on the same phone, a few days
      // there, and the way back.
      session(trip.departAt, currentPhone, s.homeIp, { forceLogin: true, noPurchase: true });
      const destTz = (COUNTRY_INFO[trip.route.to]?.utcOffset ?? 0) * HOUR;
      session(trip.arriveAt, currentPhone, r.pick(trip.destIps), { forceLogin: true, noPurchase: true });
      for (let day = Math.floor((trip.arriveAt + destTz) / DAY) + 1; (day + 1) * DAY - destTz < trip.leaveAt - 2 * HOUR; day++) {
        if (!r.chance(0.8)) continue;
        const at = day * DAY - destTz + r.float(9, 21) * HOUR;
        if (at > trip.arriveAt && at < trip.leaveAt - HOUR) session(at, currentPhone, r.pick(trip.destIps));
      }
      session(trip.leaveAt, currentPhone, r.pick(trip.destIps), { noPurchase: true });
      session(trip.backAt, currentPhone, r.pick(s.mobileIps), { forceLogin: true, noPurchase: true });
    }
  }
}

function planTrip(params: CorpusParams, r: Rng, s: Shopper, addresses: AddressBook, start: number): Trip | undefined {
  const routes = params.routes.filter((x) => x.from === s.country);
  if (routes.length === 0) return undefined;
  const route = r.pick(routes);
  const dest = r.pick(addresses.cities(route.to).slice(0, 4));
  const destIps = addresses.mobile(dest);
  // No airliner beats ~900 km/h door to door: the flight never comes out shorter than that.
  const minHours = distanceKm(s.city, dest) / 850 + 1;
  const flight = () => Math.max(r.range(route.hours), minHours) * HOUR + r.float(1, 3) * HOUR;
  const departAt = start + r.int(3, params.days - 12) * DAY + r.float(6, 12) * HOUR;
  const arriveAt = departAt + flight();
  const leaveAt = arriveAt + r.int(4, 9) * DAY + r.float(0, 8) * HOUR;
  const backAt = leaveAt + flight();
  return { route, departAt, arriveAt, leaveAt, backAt, destIps };
}
