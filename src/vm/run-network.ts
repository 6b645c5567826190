// `run --ip/--gateway/--dns`: one image booted with addresses of its own (several instances of
// it on one tap bridge, say), over the image's recorded `network`.

import { isIPv4 } from "node:net";
import { UsageError } from "../errors.js";
import { validateNetwork, type NetworkConfig } from "../node/config.js";

export interface NetworkFlags {
  ip?: string;
  gateway?: string;
  dns: string[];
}

/** The network to boot with: the flags over the image's; undefined keeps the kernel's DHCP. */
export function runNetwork(image: NetworkConfig | undefined, flags: NetworkFlags): NetworkConfig | undefined {
  const { ip, gateway, dns } = flags;
  if (ip === undefined && gateway === undefined && dns.length === 0) return image;
  for (const d of dns) if (!isIPv4(d)) throw new UsageError(`--dns must be an IPv4 address such as 10.0.2.3, got "${d}".`);
  if (dns.length > 2) throw new UsageError(`--dns is given ${dns.length} times; the kernel takes at most two DNS servers.`);
  if (gateway !== undefined && !isIPv4(gateway)) throw new UsageError(`--gateway must be an IPv4 address such as 10.0.2.2, got "${gateway}".`);
  if (ip === "dhcp") {
    if (gateway !== undefined) throw new UsageError("--gateway goes with a static --ip; with --ip dhcp the gateway comes from DHCP.");
    return dns.length ? { dns } : "dhcp";
  }
  let out: { address?: string; gateway?: string; dns?: string[] };
  if (ip !== undefined) {
    const m = /^([^/]+)\/(\d{1,2})$/.exec(ip);
    if (!m || !isIPv4(m[1]!) || Number(m[2]) < 1 || Number(m[2]) > 32) {
      throw new UsageError(`--ip must be an IPv4 address with its prefix length such as 10.0.2.16/24, or dhcp, got "${ip}".`);
    }
    // A new address replaces the image's whole configuration: its gateway belongs to its network.
    out = { address: ip, ...(gateway !== undefined ? { gateway } : {}) };
  } else {
    if (gateway !== undefined) throw new UsageError("--gateway needs --ip ADDRESS/PREFIX: a gateway belongs to a static address.");
    out = image === undefined || image === "dhcp" ? {} : { ...image };
  }
  if (dns.length) out.dns = dns;
  try {
    return validateNetwork(out, "network");
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/^network\.gateway /, "--gateway ").replace(/network\.address /, "--ip ")}`);
  }
}
