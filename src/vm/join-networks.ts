// A VM joining private networks (`run --network NAME`): an address on each (a lease), a NIC on
// each segment, the kernel's ip= and hosts= tokens, and the names it and later members learn of
// each other. Names of members running when a VM boots reach it on the kernel command line
// (hosts=, written into /run/hosts before the program starts); a member that starts later is
// announced to the running ones over their kernel channel (`hosts ADDR NAME...`): the starting
// CLI writes it into each detached member's control socket, and a foreground member's own CLI,
// which holds its COM3, looks for new members every second.

import net from "node:net";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { UsageError } from "../errors.js";
import { findNetwork, hostsLine, hostsToken, macFor, memberNames, networkMembers, NetworkLease, privateIpToken, type Lease, type Network } from "./networks.js";
import type { PrivateNic } from "./qemu-args.js";

export interface JoinRequest {
  /** Network names, in NIC order. */
  networks: string[];
  /** The address on the one network (run --ip). */
  address?: string;
  aliases: string[];
  /** A detached VM's name. */
  vm?: string;
  label: string;
  /** The process that holds the leases until moveTo (this one). */
  pid: number;
  start: string;
  /** The kernel's interface index of the first private NIC: 1 beside the user network's eth0. */
  firstIndex: number;
  env: NodeJS.ProcessEnv;
}

/** Ethernet interfaces the kernel's ip= can configure: eth0..eth3. */
const MAX_INTERFACES = 4;
/** How long an announcement waits for a member's kernel to take control lines. */
const READY_WAIT_MS = 30_000;
const READY_LINE = "uninode:ready";
/** A foreground member's CLI looks for members that started later this often. */
const WATCH_MS = 1000;

export class Membership {
  private constructor(
    readonly leases: NetworkLease[],
    /** Members of each network when the VM joined, the VM itself included. */
    private readonly initial: Lease[],
    private readonly firstIndex: number,
  ) {}

  /** Takes an address on each network, or throws one sentence having taken none. */
  static async join(req: JoinRequest): Promise<Membership> {
    if (req.address !== undefined && req.networks.length !== 1) {
      throw new UsageError("--ip with private networks names the address on one network; give a single --network NAME with it.");
    }
    // The kernel's ip= names eth0 to eth3 (CONTRACT.md).
    if (req.firstIndex + req.networks.length > MAX_INTERFACES) {
      throw new UsageError(`A VM can be on at most ${MAX_INTERFACES - req.firstIndex} private networks (the kernel configures eth0 to eth${MAX_INTERFACES - 1}); --network names ${req.networks.length}.`);
    }
    const networks: Network[] = [];
    for (const name of req.networks) {
      if (networks.some((n) => n.name === name)) throw new UsageError(`--network ${name} is given twice.`);
      networks.push(await findNetwork(name, req.env));
    }
    const leases: NetworkLease[] = [];
    try {
      for (const n of networks) {
        leases.push(
          await NetworkLease.take(n, {
            ...(req.address !== undefined ? { address: req.address } : {}),
            ...(req.vm !== undefined ? { vm: req.vm } : {}),
            aliases: req.aliases,
            label: req.label,
            pid: req.pid,
            start: req.start,
          }),
        );
      }
      const initial: Lease[] = [];
      for (const n of networks) initial.push(...(await networkMembers(n)));
      return new Membership(leases, initial, req.firstIndex);
    } catch (err) {
      for (const l of leases) await l.release();
      throw err;
    }
  }

  /** The NICs, in order (eth1, eth2, ...). */
  get nics(): PrivateNic[] {
    return this.leases.map((l) => ({ group: l.network.record.group, port: l.network.record.port, mac: macFor(l.address) }));
  }

  /** ip= for each private NIC, then hosts= for every member the VM can reach by name now. */
  get tokens(): string[] {
    const ips = this.leases.map((l, i) => privateIpToken(l.address, l.network.subnet, this.firstIndex + i));
    const seen = new Set<string>();
    const hosts: string[] = [];
    for (const m of this.initial) {
      const t = hostsToken(m);
      if (t === undefined || seen.has(m.address)) continue;
      seen.add(m.address);
      hosts.push(t);
    }
    return [...ips, ...hosts];
  }

  /** What `ps` and the instance record show: network, address, aliases. */
  get attachments(): { network: string; address: string; aliases: string[] }[] {
    return this.leases.map((l) => ({ network: l.network.name, address: l.address, aliases: l.record.aliases }));
  }

  /** The leases now belong to `pid` (a detached VM's QEMU), which announces new members through `control`. */
  async moveTo(pid: number, start: string, channel: { control?: string; kernelLog?: string }): Promise<void> {
    for (const l of this.leases) await l.moveTo(pid, start, channel);
  }

  async release(): Promise<void> {
    for (const l of this.leases) await l.release();
  }

  /** Tells every detached member already running this VM's names (foreground ones look for
   * themselves). Resolves when each has been told, or could not be (it ended, or never came up). */
  async announce(debug: (m: string) => void = () => undefined): Promise<void> {
    const jobs: Promise<void>[] = [];
    for (const l of this.leases) {
      const names = memberNames(l.record);
      if (names.length === 0) continue;
      for (const m of this.initial) {
        if (m.address === l.address || m.control === undefined || m.kernelLog === undefined) continue;
        jobs.push(
          tell(m.control, m.kernelLog, hostsLine(l.address, names)).then((ok) => {
            if (!ok) debug(`could not tell ${m.vm ?? m.address} that ${names.join(", ")} is ${l.address}`);
          }),
        );
      }
    }
    await Promise.all(jobs);
  }

  /** For a foreground VM: every second, members that joined since (or whose names changed) are
   * written into the VM's kernel channel. Returns the function that stops looking. */
  watch(write: (line: string) => void): () => void {
    const known = new Map(this.initial.map((m) => [m.address, memberNames(m).join(" ")]));
    let stopped = false;
    const networks = this.leases.map((l) => l.network);
    void (async () => {
      while (!stopped) {
        await sleep(WATCH_MS);
        for (const n of networks) {
          const members = await networkMembers(n).catch(() => [] as Lease[]);
          for (const m of members) {
            const names = memberNames(m);
            if (stopped || names.length === 0 || known.get(m.address) === names.join(" ")) continue;
            known.set(m.address, names.join(" "));
            write(hostsLine(m.address, names));
          }
        }
      }
    })();
    return () => {
      stopped = true;
    };
  }
}

/** Writes `line` into a detached member's control socket once its kernel is up. */
async function tell(control: string, kernelLog: string, line: string): Promise<boolean> {
  for (let waited = 0; ; waited += 200) {
    const log = await readFile(kernelLog, "utf8").catch(() => "");
    if (log.includes(READY_LINE)) break;
    if (waited >= READY_WAIT_MS) return false;
    await sleep(200);
  }
  return new Promise((resolve) => {
    const s = net.createConnection(control);
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once("error", () => done(false));
    s.once("connect", () => s.end(line, () => setTimeout(() => done(true), 50)));
  });
}
