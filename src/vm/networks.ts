// Private networks: Ethernet segments that join VMs without root or a daemon. Each is a directory
// under $XDG_DATA_HOME/uninode/networks (beside volumes) holding network.json (format, name,
// subnet, the multicast group and port QEMU's socket backend joins on the loopback, creation
// time) and leases/: one file per address in use, named by the address, naming the VM that holds
// it (its name and aliases: the names other members resolve) and the process that keeps the VM
// alive (`uninode run` in the foreground, QEMU for a detached VM), with its start time so a
// reused pid is not mistaken for it. A lease whose process is gone is stale and removed by
// whoever finds it. An address is taken by making its file with link(2), which fails when the
// file exists, so two VMs never get one address.

import { randomBytes, randomInt } from "node:crypto";
import { link, mkdir, readFile, readdir, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { UninodeError, UsageError, errnoCode } from "../errors.js";
import { isVolumeName } from "./mounts.js";
import { processStart } from "./volume-locks.js";
import { volumesDir } from "./volumes.js";

export const NETWORK_FORMAT = 1;
/** `network create` without --subnet takes the first of 10.89.0.0/24, 10.89.1.0/24, ... that is free. */
const DEFAULT_SUBNET_BASE = ip4("10.89.0.0");
/** QEMU's user network (the first NIC: 10.0.2.0/24); a private subnet must not overlap it. */
const USER_NETWORK = { base: ip4("10.0.2.0"), prefix: 24 };
/** Names `run --network` gives other meanings. */
const RESERVED = new Set(["user", "none", "host", "bridge", "default"]);

export class NetworkError extends UninodeError {}

export interface Subnet {
  /** The network address as a 32-bit unsigned number. */
  base: number;
  prefix: number;
}

export interface NetworkRecord {
  format: number;
  name: string;
  /** "10.89.0.0/24". */
  subnet: string;
  /** The multicast group and UDP port QEMU's socket backend joins on 127.0.0.1: the segment. */
  group: string;
  port: number;
  created: string;
}

export interface Network {
  name: string;
  dir: string;
  record: NetworkRecord;
  subnet: Subnet;
}

/** Who holds an address on a network. */
export interface Lease {
  address: string;
  /** The VM's name (a detached VM's --name); absent for a VM in the foreground. */
  vm?: string;
  /** More names the other members resolve to this address (--network-alias). */
  aliases: string[];
  /** What the VM runs, for sentences about a VM with no name. */
  label: string;
  pid: number;
  start: string;
  /** A detached VM's kernel channel (CONTRACT.md), where new members' names are sent, and its
   * kernel log, which says when the kernel takes them (uninode:ready). */
  control?: string;
  kernelLog?: string;
}

// ---- addresses and subnets -------------------------------------------------------------------

export function ip4(text: string): number {
  const parts = text.split(".").map(Number);
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}

export function ip4Text(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function formatSubnet(s: Subnet): string {
  return `${ip4Text(s.base)}/${s.prefix}`;
}

/** "10.89.0.0/24": an IPv4 network of 8 to 29 prefix bits with its host bits zero. */
export function parseSubnet(text: string): Subnet {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text.trim());
  if (!m || !net.isIPv4(m[1]!)) throw new UsageError(`--subnet expects an IPv4 network such as 10.89.0.0/24, got "${text}".`, "BAD_SUBNET");
  const prefix = Number(m[2]);
  if (prefix < 8 || prefix > 29) throw new UsageError(`--subnet ${text}: the prefix length must be 8 to 29 (a /29 holds 5 VMs), got ${prefix}.`, "BAD_SUBNET");
  const addr = ip4(m[1]!);
  const base = (addr & mask(prefix)) >>> 0;
  if (base !== addr) throw new UsageError(`--subnet ${text} has host bits set; the network is ${ip4Text(base)}/${prefix}.`, "BAD_SUBNET");
  return { base, prefix };
}

export function subnetsOverlap(a: Subnet, b: Subnet): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

/** The addresses VMs get, in the order they are handed out: the network's second address up to
 * the one before broadcast (the first, .1 in a /24, is kept for a host-side endpoint). */
export function hostRange(s: Subnet): { first: number; last: number } {
  const size = 2 ** (32 - s.prefix);
  return { first: s.base + 2, last: s.base + size - 2 };
}

/** Is `address` one a VM may have on `s`? */
export function inHostRange(s: Subnet, address: string): boolean {
  if (!net.isIPv4(address)) return false;
  const a = ip4(address);
  const { first, last } = hostRange(s);
  return a >= first && a <= last;
}

/** The private NIC's MAC: locally administered 52:54 (QEMU's prefix), then the IPv4 address, so it
 * is unique on the segment without being stored (QEMU would give every VM's second NIC the same). */
export function macFor(address: string): string {
  const a = ip4(address);
  return ["52", "54", ...[a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].map((b) => b.toString(16).padStart(2, "0"))].join(":");
}

// ---- the state directory ---------------------------------------------------------------------

/** $XDG_DATA_HOME/uninode/networks, beside the volumes. */
export function networksDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(path.dirname(volumesDir(env)), "networks");
}

export function checkNetworkName(name: string): string {
  if (!isVolumeName(name) || RESERVED.has(name)) {
    throw new UsageError(
      RESERVED.has(name)
        ? `"${name}" cannot name a network: run --network ${name} means something else; choose another name.`
        : `A network name is letters, digits, "_", "." and "-" (2 to 63, starting with a letter or digit), got "${name}".`,
      "BAD_NETWORK_NAME",
    );
  }
  return name;
}

function files(dir: string) {
  return { record: path.join(dir, "network.json"), leases: path.join(dir, "leases") };
}

export async function readNetwork(name: string, env: NodeJS.ProcessEnv = process.env): Promise<Network | undefined> {
  if (!isVolumeName(name)) return undefined;
  const dir = path.join(networksDir(env), name);
  let record: NetworkRecord;
  try {
    record = JSON.parse(await readFile(files(dir).record, "utf8")) as NetworkRecord;
  } catch {
    return undefined;
  }
  if (typeof record !== "object" || record === null || record.name !== name || typeof record.subnet !== "string") return undefined;
  if (record.format !== NETWORK_FORMAT) {
    throw new NetworkError("BAD_NETWORK", `The network ${name} was made by another version of uninode (format ${String(record.format)}); this one reads format ${NETWORK_FORMAT}.`);
  }
  return { name, dir, record, subnet: parseSubnet(record.subnet) };
}

export async function findNetwork(name: string, env: NodeJS.ProcessEnv = process.env): Promise<Network> {
  const n = await readNetwork(name, env);
  if (n === undefined) {
    throw new NetworkError("NO_SUCH_NETWORK", `There is no network named ${name}; create it with \`uninode network create ${name}\` (\`uninode network ls\` lists them).`);
  }
  return n;
}

/** Every network, by name; directories a crashed create or rm left (older than a minute) go. */
export async function listNetworks(env: NodeJS.ProcessEnv = process.env): Promise<Network[]> {
  const root = networksDir(env);
  const out: Network[] = [];
  for (const name of (await readdir(root).catch(() => [] as string[])).sort()) {
    if (name.startsWith(".")) {
      const st = await stat(path.join(root, name)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > 60_000) await rm(path.join(root, name), { recursive: true, force: true });
      continue;
    }
    const n = await readNetwork(name, env);
    if (n) out.push(n);
  }
  return out;
}

export interface CreateNetworkOptions {
  name: string;
  subnet?: Subnet;
  env: NodeJS.ProcessEnv;
}

/** Makes a network under a temporary name and renames it into place. */
export async function createNetwork(o: CreateNetworkOptions): Promise<Network> {
  checkNetworkName(o.name);
  if ((await readNetwork(o.name, o.env)) !== undefined) {
    throw new NetworkError("NETWORK_EXISTS", `A network named ${o.name} exists already; choose another name, or remove it first (uninode network rm ${o.name}).`);
  }
  const others = await listNetworks(o.env);
  const taken = others.map((n) => n.subnet);
  let subnet = o.subnet;
  if (subnet !== undefined) {
    if (subnetsOverlap(subnet, USER_NETWORK)) {
      throw new UsageError(`--subnet ${formatSubnet(subnet)} overlaps QEMU's user network 10.0.2.0/24 (every VM's first NIC); choose another.`, "SUBNET_IN_USE");
    }
    const clash = others.find((n) => subnetsOverlap(n.subnet, subnet!));
    if (clash) throw new NetworkError("SUBNET_IN_USE", `--subnet ${formatSubnet(subnet)} overlaps the network ${clash.name} (${clash.record.subnet}); choose another.`);
  } else {
    for (let i = 0; i < 256 && subnet === undefined; i++) {
      const s = { base: DEFAULT_SUBNET_BASE + i * 256, prefix: 24 };
      if (!taken.some((t) => subnetsOverlap(t, s))) subnet = s;
    }
    if (subnet === undefined) throw new NetworkError("NO_FREE_SUBNET", "Every subnet from 10.89.0.0/24 to 10.89.255.0/24 is taken; give one with --subnet.");
  }
  // An administratively scoped group (RFC 2365) and a port, each unlike every other network's.
  let group = "";
  let port = 0;
  for (let tries = 0; tries < 100; tries++) {
    group = `239.255.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    port = randomInt(20000, 60000);
    if (!others.some((n) => n.record.group === group || n.record.port === port)) break;
  }
  const root = networksDir(o.env);
  await mkdir(root, { recursive: true });
  const tmp = path.join(root, `.new-${o.name}-${randomBytes(4).toString("hex")}`);
  await mkdir(path.join(tmp, "leases"), { recursive: true });
  const record: NetworkRecord = { format: NETWORK_FORMAT, name: o.name, subnet: formatSubnet(subnet), group, port, created: new Date().toISOString() };
  try {
    await writeFile(files(tmp).record, JSON.stringify(record, null, 2) + "\n");
    await rename(tmp, path.join(root, o.name));
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw new NetworkError("NETWORK_EXISTS", `A network named ${o.name} was created meanwhile, or ${path.join(root, o.name)} is in the way; choose another name.`, { cause: err });
  }
  return findNetwork(o.name, o.env);
}

/** How a member is named in sentences: "the VM web" or "`uninode run app` (pid 123)". */
export function describeMember(l: Lease): string {
  return l.vm !== undefined ? `the VM ${l.vm}` : `\`uninode run ${l.label}\` (pid ${l.pid})`;
}

/** Removes a network no VM is on. Renamed away first, so a `run` starting meanwhile finds no
 * network rather than half of one; if a member appeared, it is renamed back. */
export async function removeNetwork(name: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const n = await checkNetworkRemovable(name, env);
  const away = path.join(networksDir(env), `.rm-${name}-${randomBytes(4).toString("hex")}`);
  await rename(n.dir, away);
  const after = await leasesIn(path.join(away, "leases"));
  if (after.length > 0) {
    await rename(away, n.dir);
    throw inUse(name, after);
  }
  await rm(away, { recursive: true, force: true });
}

export async function checkNetworkRemovable(name: string, env: NodeJS.ProcessEnv = process.env): Promise<Network> {
  const n = await findNetwork(name, env);
  const members = await networkMembers(n);
  if (members.length > 0) throw inUse(name, members);
  return n;
}

function inUse(name: string, members: Lease[]): NetworkError {
  return new NetworkError("NETWORK_IN_USE", `The network ${name} is in use by ${members.map(describeMember).join(" and ")}; stop ${members.length === 1 ? "it" : "them"} first.`);
}

// ---- leases ----------------------------------------------------------------------------------

const LEASE_SUFFIX = ".json";

async function leasesIn(dir: string): Promise<Lease[]> {
  const out: Lease[] = [];
  for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) {
    const file = path.join(dir, name);
    if (name.endsWith(".tmp")) {
      const st = await stat(file).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > 60_000) await unlink(file).catch(() => undefined);
      continue;
    }
    if (!name.endsWith(LEASE_SUFFIX)) continue;
    let l: Lease;
    try {
      l = JSON.parse(await readFile(file, "utf8")) as Lease;
    } catch {
      continue;
    }
    if (typeof l.pid === "number" && (await processStart(l.pid)) === l.start) out.push(l);
    else await unlink(file).catch(() => undefined);
  }
  return out.sort((a, b) => ip4(a.address) - ip4(b.address));
}

/** The VMs on network `n` now, by address; stale leases are removed on the way. */
export async function networkMembers(n: Network): Promise<Lease[]> {
  return leasesIn(files(n.dir).leases);
}

/** The names a member answers to: its VM name, then its aliases. */
export function memberNames(l: Lease): string[] {
  return [...(l.vm !== undefined ? [l.vm] : []), ...l.aliases];
}

export interface LeaseRequest {
  /** A particular address (run --ip); else the lowest free one. */
  address?: string;
  vm?: string;
  aliases: string[];
  label: string;
  pid: number;
  start: string;
}

/** An address held on a network; moved to another process (a detached VM's QEMU) or released. */
export class NetworkLease {
  private constructor(
    readonly network: Network,
    private file: string,
    private lease: Lease,
  ) {}

  get address(): string {
    return this.lease.address;
  }

  get record(): Lease {
    return this.lease;
  }

  /** Takes an address on `n` for the requester, or throws one sentence. */
  static async take(n: Network, req: LeaseRequest): Promise<NetworkLease> {
    const dir = files(n.dir).leases;
    const { first, last } = hostRange(n.subnet);
    const candidates: number[] = [];
    if (req.address !== undefined) {
      if (!inHostRange(n.subnet, req.address)) {
        throw new UsageError(`--ip ${req.address} is not an address a VM can have on the network ${n.name} (${ip4Text(first)} to ${ip4Text(last)}).`, "BAD_ADDRESS");
      }
      candidates.push(ip4(req.address));
    } else {
      for (let a = first; a <= last; a++) candidates.push(a);
    }
    const base: Omit<Lease, "address"> = { ...(req.vm !== undefined ? { vm: req.vm } : {}), aliases: req.aliases, label: req.label, pid: req.pid, start: req.start };
    for (const a of candidates) {
      const address = ip4Text(a);
      const file = path.join(dir, address + LEASE_SUFFIX);
      const lease: Lease = { address, ...base };
      const tmp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
      try {
        await writeFile(tmp, JSON.stringify(lease) + "\n");
      } catch (err) {
        if (errnoCode(err) === "ENOENT") throw new NetworkError("NO_SUCH_NETWORK", `The network ${n.name} was removed just now; create it again with \`uninode network create ${n.name}\`.`);
        throw err;
      }
      let got = false;
      for (let attempt = 0; attempt < 2 && !got; attempt++) {
        try {
          await link(tmp, file);
          got = true;
        } catch (err) {
          if (errnoCode(err) !== "EEXIST") {
            await unlink(tmp).catch(() => undefined);
            throw err;
          }
          // Held, or stale: leasesIn removes a stale one, and the address is tried once more.
          const holder = (await leasesIn(dir)).find((l) => l.address === address);
          if (holder !== undefined) break;
        }
      }
      await unlink(tmp).catch(() => undefined);
      if (!got) {
        if (req.address !== undefined) {
          const holder = (await leasesIn(dir)).find((l) => l.address === address);
          throw new NetworkError("ADDRESS_IN_USE", `The address ${address} on the network ${n.name} is in use by ${holder ? describeMember(holder) : "another VM"}; choose another --ip, or leave --ip out for a free one.`);
        }
        continue;
      }
      // Create-then-look: a name that another member answers to is refused, by whoever sees it.
      const taken = new NetworkLease(n, file, lease);
      const mine = memberNames(lease);
      const clash = (await leasesIn(dir)).find((l) => l.address !== address && memberNames(l).some((x) => mine.includes(x)));
      if (clash !== undefined) {
        await taken.release();
        const name = memberNames(clash).find((x) => mine.includes(x))!;
        throw new NetworkError("NAME_IN_USE", `The name ${name} is taken on the network ${n.name} by ${describeMember(clash)} (${clash.address}); choose another --name or --network-alias.`);
      }
      return taken;
    }
    throw new NetworkError("NETWORK_FULL", `Every address on the network ${n.name} (${n.record.subnet}) is in use; stop a VM on it, or make a larger network.`);
  }

  /** Hands the lease to another process (a detached VM's QEMU), never leaving the address free. */
  async moveTo(pid: number, start: string, channel: { control?: string; kernelLog?: string } = {}): Promise<void> {
    const next: Lease = { ...this.lease, pid, start, ...channel };
    const tmp = `${this.file}.${randomBytes(4).toString("hex")}.tmp`;
    await writeFile(tmp, JSON.stringify(next) + "\n");
    await rename(tmp, this.file);
    this.lease = next;
  }

  async release(): Promise<void> {
    await unlink(this.file).catch(() => undefined);
  }
}

// ---- what the kernel is told -----------------------------------------------------------------

/** The kernel's hosts= token for a member (CONTRACT.md): ADDR:NAME[:NAME...]. */
export function hostsToken(l: Lease): string | undefined {
  const names = memberNames(l);
  return names.length > 0 ? `hosts=${[l.address, ...names].join(":")}` : undefined;
}

/** The control-channel line that gives a running member another member's names (or, with none,
 * says the address is gone). */
export function hostsLine(address: string, names: readonly string[]): string {
  return `hosts ${[address, ...names].join(" ")}\n`;
}

/** The kernel's ip= token for the private NIC that is interface `index` (eth1 beside the user
 * network's eth0): a static address, no gateway (the default route stays on eth0). */
export function privateIpToken(address: string, subnet: Subnet, index: number): string {
  return `ip=${address}/${subnet.prefix}:::::eth${index}:off`;
}
