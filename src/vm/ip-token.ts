// The image's network config as the kernel's ip= command-line token (CONTRACT.md), in Linux's own
// syntax, ip=CLIENT:SERVER:GATEWAY:NETMASK:HOSTNAME:DEVICE:AUTOCONF:DNS0:DNS1, so the same words
// mean the same in a Linux VM.

import { UninodeError } from "../errors.js";
import { validateNetwork, type NetworkConfig } from "../node/config.js";

/** The ip= token for NETWORK; undefined leaves the kernel's default, DHCP. */
export function ipToken(network: NetworkConfig | undefined): string | undefined {
  if (network === undefined) return undefined;
  if (network === "dhcp") return "ip=dhcp";
  const dns = network.dns ?? [];
  const fields =
    network.address !== undefined
      ? [network.address, "", network.gateway ?? "", "", "", "", "off", dns[0] ?? "", dns[1] ?? ""]
      : ["", "", "", "", "", "", "dhcp", dns[0] ?? "", dns[1] ?? ""];
  return "ip=" + fields.join(":").replace(/:+$/, "");
}

/** NETWORK in words, for `inspect`: "dhcp", "10.0.2.15/24 gateway 10.0.2.2 dns 10.0.2.3". */
export function describeNetwork(network: NetworkConfig): string {
  if (network === "dhcp") return "dhcp";
  const parts = [network.address ?? "dhcp"];
  if (network.gateway !== undefined) parts.push(`gateway ${network.gateway}`);
  if (network.dns !== undefined) parts.push(`dns ${network.dns.join(", ")}`);
  return parts.join(" ");
}

/** An image's recorded network, checked again since an image file may come from anywhere. */
export function imageNetwork(manifest: unknown): NetworkConfig | undefined {
  const recorded = (manifest as { network?: unknown }).network;
  if (recorded === undefined) return undefined;
  try {
    return validateNetwork(recorded, "network");
  } catch (err) {
    throw new UninodeError("BAD_IMAGE", `${(err as Error).message.replace(/\.$/, "")} in the image's manifest; rebuild the image.`);
  }
}
