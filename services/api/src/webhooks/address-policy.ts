/**
 * Which IP addresses a webhook may connect to: only globally reachable unicast ones. Everything a
 * request forgery could aim at inside the network is refused: loopback, private (RFC 1918, IPv6 ULA),
 * link-local (the 169.254.169.254 metadata service among them), CGNAT (100.64/10, Alibaba's metadata
 * too), unspecified, multicast, broadcast, reserved, documentation and benchmark ranges, and IPv6
 * forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) unless what they carry is
 * public. IPv6 is allowed only in 2000::/3, the global unicast block.
 */
import { isIPv4, isIPv6 } from 'node:net';

interface Range {
  base: bigint;
  bits: number;
  why: string;
}

const IPV4_REFUSED: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared address space (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved or broadcast'],
];

/** Inside 2000::/3, the blocks that are not plain global unicast. */
const IPV6_REFUSED: Array<[string, number, string]> = [
  ['2001::', 32, 'Teredo'],
  ['2001::', 23, 'IETF protocol assignments'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
];

function ipv4ToBigInt(address: string): bigint {
  return address.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

/** The 128-bit value of an IPv6 address (an embedded dotted quad and a zone id allowed). */
function ipv6ToBigInt(address: string): bigint {
  let text = address.split('%')[0]!.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4ToBigInt(dotted[1]!);
    text = `${text.slice(0, -dotted[1]!.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return groups.reduce((value, group) => (value << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function ranges(list: Array<[string, number, string]>, toBigInt: (address: string) => bigint): Range[] {
  return list.map(([address, bits, why]) => ({ base: toBigInt(address), bits, why }));
}

const V4 = ranges(IPV4_REFUSED, ipv4ToBigInt);
const V6 = ranges(IPV6_REFUSED, ipv6ToBigInt);

function matching(value: bigint, width: number, list: Range[]): Range | undefined {
  return list.find((range) => value >> BigInt(width - range.bits) === range.base >> BigInt(width - range.bits));
}

function ipv4Text(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

function refusedIpv4(value: bigint): string | null {
  return matching(value, 32, V4)?.why ?? null;
}

function refusedIpv6(address: string): string | null {
  const value = ipv6ToBigInt(address);
  const top96 = value >> 32n;
  const low32 = value & 0xffffffffn;
  if (value === 0n) return 'unspecified';
  if (value === 1n) return 'loopback';
  // ::ffff:a.b.c.d (mapped) and 64:ff9b::a.b.c.d (NAT64) reach that IPv4 address.
  if (top96 === 0xffffn || top96 === ipv6ToBigInt('64:ff9b::') >> 32n) {
    const why = refusedIpv4(low32);
    return why ? `${why} (${ipv4Text(low32)} inside an IPv6 address)` : null;
  }
  if (value >> 125n !== 1n) {
    // Outside 2000::/3: IPv4-compatible, ULA (fc00::/7, AWS's fd00:ec2::254 metadata), link-local
    // (fe80::/10), site-local, multicast (ff00::/8), discard, local NAT64 and the unassigned rest.
    if (value >> 121n === 0x7en) return 'private (unique local)';
    if (value >> 118n === 0x3fan) return 'link-local';
    if (value >> 120n === 0xffn) return 'multicast';
    return 'not global unicast';
  }
  if (value >> 112n === 0x2002n) {
    const embedded = (value >> 80n) & 0xffffffffn;
    const why = refusedIpv4(embedded);
    return why ? `${why} (${ipv4Text(embedded)} inside a 6to4 address)` : null;
  }
  return matching(value, 128, V6)?.why ?? null;
}

/** Why a webhook may not connect to `address` (an IPv4 or IPv6 literal), or null when it may. */
export function refusedAddressReason(address: string): string | null {
  if (isIPv4(address)) return refusedIpv4(ipv4ToBigInt(address));
  if (isIPv6(address)) return refusedIpv6(address);
  return 'not an IP address';
}
