import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { err, ok, type Result } from '../core/result.js';

/** Every address a host name resolves to (A and AAAA), as text. Rejects when it does not resolve. */
export type HostLookup = (hostname: string) => Promise<readonly string[]>;

/** The system resolver (getaddrinfo: hosts file, then DNS), every address. */
export const systemLookup: HostLookup = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/** Where a delivery may connect: the address vetted for the URL's host, to be pinned for the connection. */
export interface VettedTarget {
  readonly address: string;
  readonly family: 4 | 6;
}

export type TargetRefusal =
  /** The host is, or resolves to, an address outside the public internet that no allowed range covers. */
  | { readonly kind: 'not_allowed' }
  /** The host name does not resolve (or not in time). */
  | { readonly kind: 'unresolved'; readonly reason: string };

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** 2000::/3: IANA's global unicast space; every other IPv6 address is special or unassigned. */
const IPV6_GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');

/**
 * Parses `VIGIL_WEBHOOK_ALLOW_CIDRS` entries: `a.b.c.d/n` or `ipv6/n`. The reason on a wrong entry;
 * IPv4 must be written in four decimal parts (no `127.1` or hex shorthands in an allow list).
 */
export function parseCidr(entry: string): Result<Cidr, string> {
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  if (slash < 0 || !/^\d{1,3}$/.test(entry.slice(slash + 1))) return err(`"${entry}" is not a CIDR range such as 127.0.0.0/8 or fc00::/7.`);
  if (!ipaddr.IPv4.isValidFourPartDecimal(address) && !ipaddr.IPv6.isValid(address)) {
    return err(`"${entry}" is not a CIDR range such as 127.0.0.0/8 or fc00::/7.`);
  }
  try {
    return ok(ipaddr.parseCIDR(entry));
  } catch {
    return err(`"${entry}": the prefix length is too long for the address.`);
  }
}

/**
 * Keeps webhook deliveries off Vigil's own network (SSRF): a target must be a public unicast
 * address, unless an admin allowed its range (`VIGIL_WEBHOOK_ALLOW_CIDRS`). Loopback, private
 * (RFC 1918, fc00::/7), link-local (169.254/16 with cloud metadata, fe80::/10), CGNAT, unspecified,
 * multicast, broadcast, documentation, benchmarking and other reserved ranges are refused, and so are
 * IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4, Teredo) unless the address inside is public.
 *
 * Host names are judged by what they resolve to, every address of them: one internal address refuses
 * the name. The caller then connects to the vetted address only (see `pinnedLookup`), so a DNS answer
 * that changes between the check and the connection (rebinding) cannot move the request.
 *
 * Numeric tricks (`2130706433`, `0x7f000001`, `127.1`, `[::ffff:127.0.0.1]`) need no handling of
 * their own: the WHATWG URL parser turns them into canonical addresses before they are judged.
 */
export class TargetGuard {
  private readonly allowed: readonly Cidr[];

  constructor(
    allowCidrs: readonly string[] = [],
    private readonly lookup: HostLookup = systemLookup,
    private readonly timeoutMs = 5_000,
  ) {
    this.allowed = allowCidrs.map((c) => {
      const parsed = parseCidr(c);
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.value;
    });
  }

  /** Whether one address may be connected to. */
  isAllowedAddress(text: string): boolean {
    if (!ipaddr.isValid(text)) return false;
    // IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address it is.
    const address = ipaddr.process(text);
    if (this.allowed.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits))) return true;
    if (address.range() !== 'unicast') return false;
    return address.kind() === 'ipv4' || (address as ipaddr.IPv6).match(IPV6_GLOBAL_UNICAST);
  }

  /**
   * Resolves the URL's host and vets every address. A URL whose host is an address needs no lookup;
   * `localhost` and `*.localhost` are loopback by definition (RFC 6761) whatever a resolver says.
   */
  async vet(url: URL): Promise<Result<VettedTarget, TargetRefusal>> {
    const host = hostOf(url);
    let addresses: readonly string[];
    if (isIP(host) !== 0) addresses = [host];
    else if (host === 'localhost' || host.endsWith('.localhost')) addresses = ['127.0.0.1'];
    else {
      try {
        addresses = await this.resolve(host);
      } catch (error) {
        const e = error as { code?: string; message?: string };
        return err({ kind: 'unresolved', reason: `cannot resolve the host (${e.code ?? e.message ?? 'lookup failed'})`.slice(0, 200) });
      }
      if (addresses.length === 0) return err({ kind: 'unresolved', reason: 'cannot resolve the host (no address)' });
    }
    if (!addresses.every((a) => this.isAllowedAddress(a))) return err({ kind: 'not_allowed' });
    const first = addresses[0] as string;
    const address = ipaddr.process(first);
    return ok({ address: address.toString(), family: address.kind() === 'ipv4' ? 4 : 6 });
  }

  private resolve(host: string): Promise<readonly string[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('lookup timed out'), { code: 'ETIMEOUT' })), this.timeoutMs);
    });
    return Promise.race([this.lookup(host), timeout]).finally(() => clearTimeout(timer));
  }
}

/** The URL's host as a resolver or `isIP` takes it: no IPv6 brackets, no trailing dot, lower case. */
export function hostOf(url: URL): string {
  return url.hostname
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
}

/**
 * A `lookup` for http(s).request that answers the vetted address whatever it is asked: the socket
 * connects where the guard looked, never to a fresh (possibly rebound) DNS answer. The name stays the
 * request's host, for the Host header and TLS (SNI and the certificate check).
 */
export function pinnedLookup(target: VettedTarget): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) {
      (callback as unknown as (e: null, addresses: Array<{ address: string; family: number }>) => void)(null, [
        { address: target.address, family: target.family },
      ]);
    } else {
      callback(null, target.address, target.family);
    }
  };
}
