/**
 * A webhook URL's checks against request forgery. The host is resolved (WEBHOOK_DNS_SERVERS, or the
 * system's resolver), every address it resolves to must pass the address policy, and the delivery
 * then connects to the very address that was checked (`pinnedLookup`): a DNS answer that changes
 * between the check and the connection (rebinding) cannot redirect it.
 */
import { lookup as systemLookup, Resolver } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { refusedAddressReason } from './address-policy.js';

export interface TargetPolicy {
  /** WEBHOOK_ALLOW_PRIVATE */
  allowPrivate: boolean;
  /** WEBHOOK_DNS_SERVERS; empty: the system's resolver. */
  dnsServers: string[];
}

/** A URL or an address a webhook may not use; `message` says why. */
export class TargetRefused extends Error {
  override name = 'TargetRefused';
}

export interface ResolvedTarget {
  url: URL;
  /** The checked address the connection must use. */
  address: string;
  family: 4 | 6;
}

/** The URL's form: http(s), no credentials, a host. Throws TargetRefused. */
export function parseWebhookUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TargetRefused('The webhook URL is not a valid URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TargetRefused('The webhook URL must be http:// or https://.');
  if (url.username || url.password) throw new TargetRefused('The webhook URL must not carry a user name or password.');
  if (!url.hostname) throw new TargetRefused('The webhook URL has no host.');
  return url;
}

/** The host as an address literal (without IPv6 brackets), or null for a name. */
function literalAddress(url: URL): string | null {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(host) ? host : null;
}

const resolvers = new Map<string, Resolver>();

function resolverFor(servers: string[]): Resolver {
  const key = servers.join(',');
  let resolver = resolvers.get(key);
  if (!resolver) {
    resolver = new Resolver({ timeout: 2_000, tries: 2 });
    resolver.setServers(servers);
    resolvers.set(key, resolver);
  }
  return resolver;
}

async function resolveHost(host: string, servers: string[]): Promise<Array<{ address: string; family: 4 | 6 }>> {
  if (servers.length === 0) {
    const found = await systemLookup(host, { all: true, verbatim: true });
    return found.map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));
  }
  const resolver = resolverFor(servers);
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
  const addresses = [
    ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 as const })) : []),
    ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 as const })) : []),
  ];
  if (addresses.length === 0) throw v4.status === 'rejected' ? v4.reason : new Error(`${host} has no addresses`);
  return addresses;
}

/**
 * Resolves the URL's host and checks every address; returns the one to connect to. Throws
 * TargetRefused when an address is refused or the host does not resolve.
 */
export async function resolveTarget(url: URL, policy: TargetPolicy): Promise<ResolvedTarget> {
  const literal = literalAddress(url);
  let addresses: Array<{ address: string; family: 4 | 6 }>;
  if (literal) {
    addresses = [{ address: literal, family: isIP(literal) === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await resolveHost(url.hostname, policy.dnsServers);
    } catch (error) {
      throw new TargetRefused(`${url.hostname} does not resolve (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
    }
  }
  if (!policy.allowPrivate) {
    // Every address, not only the one used: a name with one public and one internal address is refused.
    for (const { address } of addresses) {
      const why = refusedAddressReason(address);
      if (why)
        throw new TargetRefused(`${url.hostname} resolves to ${address}, which is ${why}; set WEBHOOK_ALLOW_PRIVATE=true to allow it.`);
    }
  }
  return { url, ...addresses[0]! };
}

/**
 * A `lookup` for http.request that answers with the checked address only, whatever the name: the
 * socket connects where the check looked, and Host, SNI and certificate checks still use the name.
 */
export function pinnedLookup(target: ResolvedTarget): LookupFunction {
  return (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) {
      (callback as unknown as (error: null, addresses: Array<{ address: string; family: number }>) => void)(null, [
        { address: target.address, family: target.family },
      ]);
    } else {
      callback(null, target.address, target.family);
    }
  };
}
