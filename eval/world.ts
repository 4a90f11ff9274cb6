import type { EventInput } from '../src/domain/event-schema.js';
import type { GeoCity } from './geo-table.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

/** What a country means for a shopper there: money, a usual basket, and the clock. */
export interface CountryInfo {
  readonly currency: string;
  /** The population's median basket, in that currency. */
  readonly basket: number;
  /** Hours ahead of UTC (one figure per country; the eval does not need daylight saving). */
  readonly utcOffset: number;
}

export const COUNTRY_INFO: Readonly<Record<string, CountryInfo>> = {
  FR: { currency: 'EUR', basket: 45, utcOffset: 1 },
  DE: { currency: 'EUR', basket: 50, utcOffset: 1 },
  ES: { currency: 'EUR', basket: 40, utcOffset: 1 },
  IT: { currency: 'EUR', basket: 42, utcOffset: 1 },
  NL: { currency: 'EUR', basket: 48, utcOffset: 1 },
  PT: { currency: 'EUR', basket: 35, utcOffset: 0 },
  GB: { currency: 'GBP', basket: 40, utcOffset: 0 },
  US: { currency: 'USD', basket: 55, utcOffset: -5 },
  CA: { currency: 'CAD', basket: 65, utcOffset: -5 },
  BR: { currency: 'BRL', basket: 180, utcOffset: -3 },
  JP: { currency: 'JPY', basket: 6500, utcOffset: 9 },
  AU: { currency: 'AUD', basket: 70, utcOffset: 10 },
  PL: { currency: 'PLN', basket: 170, utcOffset: 1 },
  SE: { currency: 'SEK', basket: 450, utcOffset: 1 },
  IN: { currency: 'INR', basket: 2200, utcOffset: 5.5 },
};

export type DeviceKind = 'phone' | 'laptop' | 'tablet';

/** Real user agents, by device kind. A device keeps its user agent (a replaced phone gets a newer one). */
export const USER_AGENTS: Readonly<Record<DeviceKind, readonly string[]>> = {
  phone: [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.6312.99 Mobile Safari/537.36',
    'Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.105 Mobile Safari/537.36',
    'Mozilla/5.0 (Linux; Android 14; SM-A546B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.6312.80 Mobile Safari/537.36',
  ],
  laptop: [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.92',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:124.0) Gecko/20100101 Firefox/124.0',
  ],
  tablet: [
    'Mozilla/5.0 (iPad; CPU OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1',
    'Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.119 Safari/537.36',
  ],
};

/** A replaced phone's user agent: this year's model. */
export const NEW_PHONE_USER_AGENTS: readonly string[] = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8 Pro) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
  'Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.54 Mobile Safari/537.36',
];

/** What attackers send: ordinary desktop browsers, automation, scripts. */
export const ATTACKER_USER_AGENTS: readonly string[] = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36',
  'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36',
];
export const SCRIPT_USER_AGENTS: readonly string[] = [
  'python-requests/2.31.0',
  'Go-http-client/1.1',
  'curl/8.5.0',
  ...ATTACKER_USER_AGENTS,
];

export const MERCHANTS: readonly string[] = [
  'groceries',
  'fashion',
  'electronics',
  'books',
  'home-garden',
  'beauty',
  'sports',
  'toys',
  'pharmacy',
  'pet-supplies',
  'music',
  'travel',
];
export const GIFT_CARD_MERCHANTS: readonly string[] = ['gift-cards', 'digital-gift-cards', 'prepaid-vouchers'];

export const SHOP_PATHS: readonly string[] = [
  '/',
  '/search',
  '/category/new',
  '/category/sale',
  '/product/12841',
  '/product/55102',
  '/product/90013',
  '/product/31177',
  '/cart',
  '/checkout',
  '/account/orders',
  '/wishlist',
  '/help/returns',
];
export const ACCOUNT_PATHS: readonly string[] = [
  '/account',
  '/account/security',
  '/account/profile',
  '/account/payment-methods',
  '/account/orders',
];

export const CARD_BRANDS: readonly string[] = ['visa', 'mastercard', 'amex'];

export interface Device {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly userAgent: string;
  /** The session this device is signed in with, if any. */
  session?: string | undefined;
}

/** One ordinary shopper, as the generator knows them. */
export interface Shopper {
  readonly id: string;
  readonly country: string;
  readonly city: GeoCity;
  readonly currency: string;
  readonly homeIp: string;
  readonly workIp?: string;
  /** Their mobile carrier's addresses in their city (rotating). */
  readonly mobileIps: readonly string[];
  devices: Device[];
  readonly email: string;
  /** Chance of any activity on a given day. */
  readonly activeRate: number;
  /** Chance of a purchase in a session. */
  readonly buyRate: number;
  /** Their own median basket, in their currency. */
  readonly medianAmount: number;
  readonly merchants: readonly string[];
  paymentMethod: string;
  /** Local hour around which they usually shop. */
  readonly usualHour: number;
}

/** One event of the corpus with its label: `benign`, or the attack kind of the story it belongs to. */
export interface LabelledEvent {
  readonly at: number;
  /** Ties in time keep generation order. */
  readonly seq: number;
  readonly label: string;
  readonly story?: string;
  readonly event: EventInput;
}

/** Builds events with increasing sequence numbers; the label and story are given per event. */
export class EventSink {
  readonly events: LabelledEvent[] = [];
  private seq = 0;

  add(label: string, time: number, event: Omit<EventInput, 'timestamp'>, story?: string): LabelledEvent {
    const at = Math.round(time);
    const e: LabelledEvent = {
      at,
      seq: this.seq++,
      label,
      ...(story !== undefined && { story }),
      event: { ...event, timestamp: new Date(at).toISOString() } as EventInput,
    };
    this.events.push(e);
    return e;
  }
}

export const roundMoney = (amount: number, currency: string) =>
  currency === 'JPY' ? Math.max(1, Math.round(amount)) : Math.max(0.5, Math.round(amount * 100) / 100);
