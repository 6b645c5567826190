// `run --network`: which network the VM's one NIC is on. "user" is QEMU's own NAT (published
// ports with -p, nothing to set up); "tap:IFNAME" is a tap device the user made and wired into
// the host's network (a bridge, routes), the way production hosts run VMs; "none" is no NIC.

import { access, readFile } from "node:fs/promises";
import { UsageError, UninodeError } from "../errors.js";

export type NetworkChoice = { kind: "user" } | { kind: "tap"; ifname: string } | { kind: "none" };

/** Linux interface names: up to 15 bytes, no '/', no whitespace, not "." or "..". */
const IFNAME = /^(?!\.{1,2}$)[^\s/:,]{1,15}$/;

export function parseNetwork(value: string | undefined): NetworkChoice {
  if (value === undefined || value === "user") return { kind: "user" };
  if (value === "none") return { kind: "none" };
  const m = /^tap:(.*)$/.exec(value);
  if (m && IFNAME.test(m[1]!)) return { kind: "tap", ifname: m[1]! };
  if (m) throw new UsageError(`--network tap:${m[1]} does not name a network interface (1 to 15 characters, no spaces, '/', ':' or ',').`);
  throw new UsageError(`--network must be user, tap:IFNAME or none, not ${JSON.stringify(value)}.`);
}

/** A tap the VM can open: it exists and is a tun/tap device. `sysfs` is for tests. */
export async function checkTap(ifname: string, sysfs = "/sys/class/net"): Promise<void> {
  const dir = `${sysfs}/${ifname}`;
  const setup = `create it with \`ip tuntap add dev ${ifname} mode tap user $(id -un)\`, give it an address or a bridge, and \`ip link set ${ifname} up\``;
  try {
    await access(dir);
  } catch {
    throw new UninodeError("NO_TAP", `There is no network interface ${ifname}; ${setup}.`);
  }
  // tun_flags exists only for tun/tap devices; bit 0x0002 is IFF_TAP (0x0001 is a layer-3 tun).
  let flags: number;
  try {
    flags = parseInt((await readFile(`${dir}/tun_flags`, "utf8")).trim(), 16);
  } catch {
    throw new UninodeError("NOT_A_TAP", `${ifname} is not a tap device (a VM's NIC needs one); ${setup}.`);
  }
  if (!(flags & 0x0002)) throw new UninodeError("NOT_A_TAP", `${ifname} is a tun device, not a tap; ${setup}.`);
}
