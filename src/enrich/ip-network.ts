import ipaddr from 'ipaddr.js';
import type { IpScope } from '../domain/activity-event.js';

export interface IpFacts {
  readonly version: 4 | 6;
  readonly scope: IpScope;
  /** The /24 (IPv4) or /48 (IPv6) around the address: the unit of "a new network" without an ASN database. */
  readonly network: string;
  /** The address as geo-IP should see it: IPv4-mapped IPv6 (::ffff:1.2.3.4) unwrapped. */
  readonly lookupAddress: string;
}

const SCOPES: Record<string, IpScope> = {
  unicast: 'public',
  private: 'private',
  uniqueLocal: 'private',
  loopback: 'loopback',
  linkLocal: 'link_local',
  carrierGradeNat: 'carrier_nat',
};

/** Facts about an address already checked to be valid by validation. */
export function ipFacts(ip: string): IpFacts {
  let address = ipaddr.parse(ip);
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    address = (address as ipaddr.IPv6).toIPv4Address();
  }
  const scope = SCOPES[address.range()] ?? 'reserved';
  if (address.kind() === 'ipv4') {
    const o = (address as ipaddr.IPv4).octets;
    return { version: 4, scope, network: `${o[0]}.${o[1]}.${o[2]}.0/24`, lookupAddress: address.toString() };
  }
  const parts = (address as ipaddr.IPv6).parts;
  const prefix = parts
    .slice(0, 3)
    .map((p) => p.toString(16))
    .join(':');
  return { version: 6, scope, network: `${prefix}::/48`, lookupAddress: address.toString() };
}
