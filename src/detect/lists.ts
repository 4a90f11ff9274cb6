import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { assertExhaustive } from '../core/result.js';
import type { DetectionEvent } from '../domain/activity-event.js';

/** What a list entry names. `ip` entries hold an address or a CIDR range (IPv4 or IPv6). */
export const LIST_KINDS = ['ip', 'device', 'email', 'email_domain', 'country', 'payment_method', 'user'] as const;
export type ListKind = (typeof LIST_KINDS)[number];
export const LIST_NAMES = ['allow', 'block'] as const;
export type ListName = (typeof LIST_NAMES)[number];

/** One entry of the allow or block list (Stripe Radar's and Castle's lists). */
export interface ListEntry {
  readonly id: string;
  readonly list: ListName;
  readonly kind: ListKind;
  /** Normalised: IPs and CIDRs in canonical form, emails and domains lower case, countries upper case. */
  readonly value: string;
  readonly reason: string;
  /** Allow entries only: the rules it stops from firing; empty means every rule. */
  readonly rules: readonly string[];
  readonly createdBy: string;
  readonly createdAt: number;
  /** Epoch ms from which the entry is no longer in force (expiresAt <= now: expired); null for never. */
  readonly expiresAt: number | null;
}

/** The entries in force that an event matches, by list. */
export interface ListMatches {
  readonly allow: readonly ListEntry[];
  readonly block: readonly ListEntry[];
}

/**
 * What detection asks of the lists: which entries in force at `now` this event matches. Fields read:
 * `ip` (addresses and CIDR ranges; an IPv4-mapped IPv6 address matches IPv4 ranges), `device`,
 * `email` (lower-cased), its domain and every parent domain for `email_domain`, the geo-IP country
 * (`enrichment.geo.country`), `paymentMethod` and `user`.
 */
export interface ListLookup {
  matches(event: DetectionEvent, now: number): ListMatches;
}

export const NO_LIST_MATCHES: ListMatches = Object.freeze({ allow: [], block: [] });

const EMPTY: readonly ListEntry[] = Object.freeze([]);

/** Kinds matched by exact value (everything but `ip`, which is matched by range). */
type ExactKind = Exclude<ListKind, 'ip'>;

/**
 * The allow and block lists in memory, indexed for the ingest path: a Map per kind for exact values,
 * and for `ip` a Map per prefix length of network → entries (one lookup per distinct prefix length
 * in the book, whatever the number of ranges). Removed entries are not in the book; expired ones
 * stay until removed, and are skipped at `now`.
 */
export class ListBook implements ListLookup {
  private readonly byId = new Map<string, ListEntry>();
  private readonly exact: Record<ExactKind, Map<string, ListEntry[]>> = {
    device: new Map(),
    email: new Map(),
    email_domain: new Map(),
    country: new Map(),
    payment_method: new Map(),
    user: new Map(),
  };
  /** Prefix length → network (as an unsigned 32-bit integer) → entries. */
  private readonly v4 = new Map<number, Map<number, ListEntry[]>>();
  /** Prefix length → network (as a 128-bit bigint) → entries. */
  private readonly v6 = new Map<number, Map<bigint, ListEntry[]>>();
  /** The prefix lengths present, longest first. */
  private v4Prefixes: number[] = [];
  private v6Prefixes: number[] = [];

  /** Entries in the book (in force or expired), in no particular order. */
  entries(): ListEntry[] {
    return [...this.byId.values()];
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): ListEntry | undefined {
    return this.byId.get(id);
  }

  /** Replaces the whole book (at start). Entries whose value does not parse are skipped and returned. */
  load(entries: Iterable<ListEntry>): ListEntry[] {
    this.byId.clear();
    for (const map of Object.values(this.exact)) map.clear();
    this.v4.clear();
    this.v6.clear();
    this.v4Prefixes = [];
    this.v6Prefixes = [];
    const skipped: ListEntry[] = [];
    for (const entry of entries) if (!this.put(entry)) skipped.push(entry);
    return skipped;
  }

  /**
   * Adds an entry, or replaces the one with its id. The value must be normalised (normaliseListValue);
   * false (and nothing added) when an `ip` value is not an address or range.
   */
  put(entry: ListEntry): boolean {
    if (entry.kind === 'ip') {
      const range = parseRange(entry.value);
      if (!range) return false;
      this.remove(entry.id);
      if (range.v4) addTo(this.v4, range.prefix, range.network as number, entry);
      else addTo(this.v6, range.prefix, range.network as bigint, entry);
      this.refreshPrefixes();
    } else {
      this.remove(entry.id);
      const map = this.exact[entry.kind];
      const list = map.get(entry.value);
      if (list) list.push(entry);
      else map.set(entry.value, [entry]);
    }
    this.byId.set(entry.id, entry);
    return true;
  }

  /** Takes an entry out of the book; the entry, or undefined when it was not in it. */
  remove(id: string): ListEntry | undefined {
    const entry = this.byId.get(id);
    if (!entry) return undefined;
    this.byId.delete(id);
    if (entry.kind === 'ip') {
      const range = parseRange(entry.value);
      if (range?.v4) removeFrom(this.v4, range.prefix, range.network as number, id);
      else if (range) removeFrom(this.v6, range.prefix, range.network as bigint, id);
      this.refreshPrefixes();
    } else {
      const map = this.exact[entry.kind];
      const list = map.get(entry.value);
      if (list) {
        const rest = list.filter((e) => e.id !== id);
        if (rest.length === 0) map.delete(entry.value);
        else map.set(entry.value, rest);
      }
    }
    return entry;
  }

  matches(event: DetectionEvent, now: number): ListMatches {
    if (this.byId.size === 0) return NO_LIST_MATCHES;
    const found: Found = { allow: undefined, block: undefined };
    if (event.ip !== undefined && (this.v4Prefixes.length > 0 || this.v6Prefixes.length > 0)) this.matchIp(event.ip, now, found);
    const exact = this.exact;
    if (event.device !== undefined && exact.device.size > 0) collect(exact.device.get(event.device), now, found);
    if (event.user !== undefined && exact.user.size > 0) collect(exact.user.get(event.user), now, found);
    if (event.paymentMethod !== undefined && exact.payment_method.size > 0)
      collect(exact.payment_method.get(event.paymentMethod), now, found);
    const country = event.enrichment.geo?.country;
    if (country !== undefined && exact.country.size > 0) collect(exact.country.get(country.toUpperCase()), now, found);
    if (event.email !== undefined && (exact.email.size > 0 || exact.email_domain.size > 0)) {
      const email = event.email.toLowerCase();
      if (exact.email.size > 0) collect(exact.email.get(email), now, found);
      if (exact.email_domain.size > 0) {
        // The domain and each parent: mail.example.com is matched by entries for example.com (and com).
        let at = email.lastIndexOf('@');
        while (at !== -1) {
          collect(exact.email_domain.get(email.slice(at + 1)), now, found);
          at = email.indexOf('.', at + 1);
        }
      }
    }
    if (found.allow === undefined && found.block === undefined) return NO_LIST_MATCHES;
    return { allow: found.allow ?? EMPTY, block: found.block ?? EMPTY };
  }

  private matchIp(ip: string, now: number, found: Found): void {
    // Most events carry a plain IPv4 address: matched without building anything.
    const quad = dottedQuad(ip);
    if (quad !== undefined) {
      for (const prefix of this.v4Prefixes) collect(this.v4.get(prefix)?.get(maskV4(quad, prefix)), now, found);
      return;
    }
    const address = parseAddress(ip);
    if (!address) return;
    if (address.v4 !== undefined) {
      for (const prefix of this.v4Prefixes) collect(this.v4.get(prefix)?.get(maskV4(address.v4, prefix)), now, found);
    }
    if (address.v6 !== undefined) {
      for (const prefix of this.v6Prefixes) collect(this.v6.get(prefix)?.get(maskV6(address.v6, prefix)), now, found);
    }
  }

  private refreshPrefixes(): void {
    this.v4Prefixes = [...this.v4.keys()].sort((a, b) => b - a);
    this.v6Prefixes = [...this.v6.keys()].sort((a, b) => b - a);
  }
}

interface Found {
  allow: ListEntry[] | undefined;
  block: ListEntry[] | undefined;
}

function collect(entries: readonly ListEntry[] | undefined, now: number, found: Found): void {
  if (entries === undefined) return;
  for (const entry of entries) {
    if (entry.expiresAt !== null && entry.expiresAt <= now) continue;
    if (entry.list === 'allow') {
      if (found.allow) found.allow.push(entry);
      else found.allow = [entry];
    } else if (found.block) found.block.push(entry);
    else found.block = [entry];
  }
}

function addTo<K>(index: Map<number, Map<K, ListEntry[]>>, prefix: number, network: K, entry: ListEntry): void {
  let byNetwork = index.get(prefix);
  if (!byNetwork) {
    byNetwork = new Map();
    index.set(prefix, byNetwork);
  }
  const list = byNetwork.get(network);
  if (list) list.push(entry);
  else byNetwork.set(network, [entry]);
}

function removeFrom<K>(index: Map<number, Map<K, ListEntry[]>>, prefix: number, network: K, id: string): void {
  const byNetwork = index.get(prefix);
  const list = byNetwork?.get(network);
  if (!byNetwork || !list) return;
  const rest = list.filter((e) => e.id !== id);
  if (rest.length > 0) byNetwork.set(network, rest);
  else {
    byNetwork.delete(network);
    if (byNetwork.size === 0) index.delete(prefix);
  }
}

// ---- Addresses and ranges ----

const V6_BITS = 128n;
const V6_ALL = (1n << V6_BITS) - 1n;

function maskV4(address: number, prefix: number): number {
  return prefix === 0 ? 0 : (address & (0xffffffff << (32 - prefix))) >>> 0;
}

function maskV6(address: bigint, prefix: number): bigint {
  return prefix === 0 ? 0n : address & (V6_ALL ^ ((1n << (V6_BITS - BigInt(prefix))) - 1n));
}

function v4Number(a: ipaddr.IPv4): number {
  const [o0 = 0, o1 = 0, o2 = 0, o3 = 0] = a.octets;
  return ((o0 << 24) | (o1 << 16) | (o2 << 8) | o3) >>> 0;
}

function v6Number(a: ipaddr.IPv6): bigint {
  let n = 0n;
  for (const part of a.parts) n = (n << 16n) | BigInt(part);
  return n;
}

/**
 * An event's address as numbers: IPv4, IPv6, or an IPv4-mapped IPv6 address as both (it matches
 * IPv4 ranges, and IPv6 ranges such as ::ffff:0:0/96).
 */
/**
 * A plain dotted quad ("81.2.69.160") as a number, read by hand: most events carry one, and this runs
 * for every event while IP entries exist (ipaddr.js's parser was a tenth of scoring). Anything else
 * (leading zeros, IPv6) is left to the full parser.
 */
function dottedQuad(text: string): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return undefined;
      octet = octet * 10 + (c - 48);
      digits++;
      if (octet > 255) return undefined;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + octet;
}

function parseAddress(ip: string): { v4?: number; v6?: bigint } | undefined {
  const zone = ip.indexOf('%');
  const bare = zone === -1 ? ip : ip.slice(0, zone);
  const quad = dottedQuad(bare);
  if (quad !== undefined) return { v4: quad };
  const family = isIP(bare);
  if (family === 4) return { v4: v4Number(ipaddr.IPv4.parse(bare)) };
  if (family !== 6) return undefined;
  const a = ipaddr.IPv6.parse(bare);
  if (a.isIPv4MappedAddress()) return { v4: v4Number(a.toIPv4Address()), v6: v6Number(a) };
  return { v6: v6Number(a) };
}

interface ParsedRange {
  readonly v4: boolean;
  readonly prefix: number;
  readonly network: number | bigint;
  /** The canonical text: `1.2.3.4`, `10.0.0.0/8`, `2001:db8::/48`. */
  readonly canonical: string;
}

/**
 * An address or CIDR range, strictly (no `127.1` shorthand, no zone): its network with host bits
 * cleared, and its canonical text. A full-length prefix (/32, /128) is the address itself; an
 * IPv4-mapped IPv6 address or range of /96 or longer is written as the IPv4 one.
 */
function parseRange(text: string): ParsedRange | undefined {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const prefixText = slash === -1 ? undefined : text.slice(slash + 1);
  const family = addressText.includes('%') ? 0 : isIP(addressText);
  if (family === 0) return undefined;
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) return undefined;
    prefix = Number(prefixText);
    if (prefix > max) return undefined;
  }
  if (family === 6) {
    const a = ipaddr.IPv6.parse(addressText);
    if (a.isIPv4MappedAddress() && prefix >= 96) return v4Range(v4Number(a.toIPv4Address()), prefix - 96);
    const network = maskV6(v6Number(a), prefix);
    const parts: number[] = [];
    for (let i = 7; i >= 0; i--) parts.push(Number((network >> BigInt(i * 16)) & 0xffffn));
    const canonical = new ipaddr.IPv6(parts).toString();
    return { v4: false, prefix, network, canonical: prefix === 128 ? canonical : `${canonical}/${prefix}` };
  }
  return v4Range(v4Number(ipaddr.IPv4.parse(addressText)), prefix);
}

function v4Range(address: number, prefix: number): ParsedRange {
  const network = maskV4(address, prefix);
  const canonical = [network >>> 24, (network >>> 16) & 255, (network >>> 8) & 255, network & 255].join('.');
  return { v4: true, prefix, network, canonical: prefix === 32 ? canonical : `${canonical}/${prefix}` };
}

// ---- Values ----

const HOSTNAME_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * An entry's value checked and put in canonical form for its kind: `ip` an address or CIDR range
 * (IPv4 or IPv6; host bits cleared, /32 and /128 written as the address), `email` lower case with an
 * `@`, `email_domain` a lower-case hostname, `country` two letters upper case, the others 1–256
 * characters (trimmed, case kept: they are the client's ids). The message says what is wrong.
 */
export function normaliseListValue(kind: ListKind, raw: string): { readonly value: string } | { readonly message: string } {
  const text = raw.trim();
  switch (kind) {
    case 'ip': {
      const range = parseRange(text);
      return range
        ? { value: range.canonical }
        : { message: `"${raw}" is not an IPv4 or IPv6 address or CIDR range (e.g. 203.0.113.0/24).` };
    }
    case 'email': {
      const email = text.toLowerCase();
      const at = email.lastIndexOf('@');
      if (email.length > 320 || at <= 0 || at === email.length - 1 || /\s/.test(email))
        return { message: `"${raw}" is not an email address.` };
      return { value: email };
    }
    case 'email_domain': {
      const domain = text.toLowerCase().replace(/^@/, '').replace(/\.$/, '');
      if (domain.length === 0 || domain.length > 253 || !domain.split('.').every((label) => HOSTNAME_LABEL.test(label)))
        return { message: `"${raw}" is not a domain name (e.g. example.com).` };
      return { value: domain };
    }
    case 'country':
      return /^[a-zA-Z]{2}$/.test(text)
        ? { value: text.toUpperCase() }
        : { message: `"${raw}" is not a two-letter country code (e.g. DE).` };
    case 'device':
    case 'payment_method':
    case 'user':
      return text.length >= 1 && text.length <= 256 ? { value: text } : { message: `${kind} must be 1 to 256 characters.` };
    default:
      return assertExhaustive(kind, 'list kind');
  }
}
