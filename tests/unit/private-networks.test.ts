// Private networks: subnets, the state directory, address leases (lowest free, --ip, in use,
// stale ones of dead VMs, names unique on a network), what the kernel is told (ip=, hosts=, the
// control line), QEMU's NIC arguments, and `uninode network` / `run --network` bad input.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { splitNetworks } from "../../src/commands/run.js";
import { Membership } from "../../src/vm/join-networks.js";
import {
  NetworkLease,
  createNetwork,
  findNetwork,
  hostRange,
  hostsLine,
  hostsToken,
  ip4,
  ip4Text,
  macFor,
  networkMembers,
  networksDir,
  parseSubnet,
  privateIpToken,
  subnetsOverlap,
} from "../../src/vm/networks.js";
import { buildQemuArgs, privateNicArgs } from "../../src/vm/qemu-args.js";
import { processStart } from "../../src/vm/volume-locks.js";
import { runCli, tempDir } from "./helpers.js";

const tmp = tempDir();
const env = {
  XDG_DATA_HOME: path.join(tmp.dir, "data"),
  XDG_CACHE_HOME: path.join(tmp.dir, "cache"),
  XDG_STATE_HOME: path.join(tmp.dir, "state"),
};
let sleeper: ChildProcess;

beforeAll(() => {
  // A live process that is not this one: the holder of "another VM"'s lease.
  sleeper = spawn("sleep", ["600"], { stdio: "ignore" });
});
afterAll(() => {
  sleeper.kill();
  tmp.cleanup();
});

const cli = (argv: string[]) => runCli(argv, tmp.dir, env);
const me = async () => ({ pid: process.pid, start: (await processStart(process.pid))!, label: "app" });
const other = async () => ({ pid: sleeper.pid!, start: (await processStart(sleeper.pid!))!, label: "mariadb" });

describe("subnets", () => {
  it("parses CIDR networks of /8 to /29 with host bits clear, and says what is wrong otherwise", () => {
    expect(parseSubnet("10.89.0.0/24")).toEqual({ base: ip4("10.89.0.0"), prefix: 24 });
    expect(parseSubnet("192.168.50.248/29")).toEqual({ base: ip4("192.168.50.248"), prefix: 29 });
    expect(() => parseSubnet("10.89.0.1/24")).toThrow("--subnet 10.89.0.1/24 has host bits set; the network is 10.89.0.0/24.");
    expect(() => parseSubnet("10.89.0.0/30")).toThrow(/the prefix length must be 8 to 29/);
    expect(() => parseSubnet("10.89.0.0")).toThrow('--subnet expects an IPv4 network such as 10.89.0.0/24, got "10.89.0.0".');
    expect(() => parseSubnet("10.289.0.0/16")).toThrow(/expects an IPv4 network/);
  });

  it("knows overlaps and the range VMs get (the second address to the one before broadcast)", () => {
    expect(subnetsOverlap(parseSubnet("10.89.0.0/24"), parseSubnet("10.89.0.128/25"))).toBe(true);
    expect(subnetsOverlap(parseSubnet("10.89.0.0/24"), parseSubnet("10.89.1.0/24"))).toBe(false);
    expect(subnetsOverlap(parseSubnet("10.0.0.0/8"), parseSubnet("10.89.1.0/24"))).toBe(true);
    const r = hostRange(parseSubnet("10.89.0.0/24"));
    expect([ip4Text(r.first), ip4Text(r.last)]).toEqual(["10.89.0.2", "10.89.0.254"]);
  });

  it("gives each private NIC a MAC of its own, from its address", () => {
    expect(macFor("10.89.0.2")).toBe("52:54:0a:59:00:02");
    expect(macFor("192.168.50.254")).toBe("52:54:c0:a8:32:fe");
  });
});

describe("network create, ls, inspect, rm", () => {
  it("creates networks on the first free 10.89.N.0/24, each with its own multicast group and port", async () => {
    expect(await cli(["network", "create", "front"])).toMatchObject({ status: 0, stdout: "front\n", stderr: "" });
    expect(await cli(["network", "create", "back"])).toMatchObject({ status: 0, stdout: "back\n" });
    const a = await findNetwork("front", env);
    const b = await findNetwork("back", env);
    expect([a.record.subnet, b.record.subnet]).toEqual(["10.89.0.0/24", "10.89.1.0/24"]);
    expect(a.record.group).toMatch(/^239\.255\.\d+\.\d+$/);
    expect(a.record.group === b.record.group || a.record.port === b.record.port).toBe(false);
    const ls = await cli(["network", "ls", "--json"]);
    expect(JSON.parse(ls.stdout).map((n: { name: string; subnet: string; vms: unknown[] }) => [n.name, n.subnet, n.vms.length])).toEqual([
      ["back", "10.89.1.0/24", 0],
      ["front", "10.89.0.0/24", 0],
    ]);
    const inspect = await cli(["network", "inspect", "front"]);
    expect(inspect.stdout).toMatch(/^subnet +10\.89\.0\.0\/24 \(VMs get 10\.89\.0\.2 to 10\.89\.0\.254\)$/m);
  });

  it("refuses a name taken, reserved or malformed, an overlapping subnet and the user network's, changing nothing", async () => {
    const before = readdirSync(networksDir(env)).sort();
    expect(await cli(["network", "create", "front"])).toMatchObject({
      status: 1,
      stderr: "uninode: A network named front exists already; choose another name, or remove it first (uninode network rm front).\n",
    });
    expect((await cli(["network", "create", "none"])).stderr).toBe('uninode: "none" cannot name a network: run --network none means something else; choose another name.\n');
    expect((await cli(["network", "create", "a/b"])).status).toBe(2);
    expect((await cli(["network", "create", "xx", "--subnet", "10.89.0.0/16"])).stderr).toBe(
      "uninode: --subnet 10.89.0.0/16 overlaps the network back (10.89.1.0/24); choose another.\n",
    );
    expect((await cli(["network", "create", "xx", "--subnet", "10.0.0.0/8"])).stderr).toMatch(/overlaps QEMU's user network 10\.0\.2\.0\/24/);
    expect((await cli(["network", "inspect", "nosuch"])).stderr).toBe(
      "uninode: There is no network named nosuch; create it with `uninode network create nosuch` (`uninode network ls` lists them).\n",
    );
    expect(readdirSync(networksDir(env)).sort()).toEqual(before);
  });

  it("refuses to remove a network a VM is on, naming the VM; removes it once the VM is gone", async () => {
    await createNetwork({ name: "busy", env });
    const n = await findNetwork("busy", env);
    const lease = await NetworkLease.take(n, { vm: "db", aliases: [], ...(await other()) });
    const rm = await cli(["network", "rm", "busy"]);
    expect(rm).toMatchObject({ status: 1, stderr: "uninode: The network busy is in use by the VM db; stop it first.\n" });
    expect(existsSync(path.join(networksDir(env), "busy"))).toBe(true);
    await lease.release();
    expect(await cli(["network", "rm", "busy"])).toMatchObject({ status: 0, stdout: "busy\n" });
    expect(existsSync(path.join(networksDir(env), "busy"))).toBe(false);
  });
});

describe("addresses", () => {
  it("hands out the lowest free address, frees it with the VM, and takes back a dead VM's", async () => {
    await createNetwork({ name: "lease", subnet: parseSubnet("10.90.0.0/29"), env });
    const n = await findNetwork("lease", env);
    const a = await NetworkLease.take(n, { vm: "a", aliases: [], ...(await other()) });
    const b = await NetworkLease.take(n, { vm: "b", aliases: ["bee"], ...(await me()) });
    expect([a.address, b.address]).toEqual(["10.90.0.2", "10.90.0.3"]);
    await a.release();
    const c = await NetworkLease.take(n, { vm: "c", aliases: [], ...(await me()) });
    expect(c.address).toBe("10.90.0.2");
    // A VM whose process is gone (a pid with another start time): its address is free again.
    await c.moveTo(sleeper.pid!, "1");
    expect((await networkMembers(n)).map((m) => m.address)).toEqual(["10.90.0.3"]);
    const d = await NetworkLease.take(n, { vm: "d", aliases: [], ...(await me()) });
    expect(d.address).toBe("10.90.0.2");
    await Promise.all([b.release(), d.release()]);
  });

  it("gives --ip's address, or one sentence when it is taken or not on the network; a full network says so", async () => {
    const n = await findNetwork("lease", env);
    const a = await NetworkLease.take(n, { address: "10.90.0.5", vm: "a", aliases: [], ...(await other()) });
    expect(a.address).toBe("10.90.0.5");
    await expect(NetworkLease.take(n, { address: "10.90.0.5", vm: "x", aliases: [], ...(await me()) })).rejects.toThrow(
      "The address 10.90.0.5 on the network lease is in use by the VM a; choose another --ip, or leave --ip out for a free one.",
    );
    await expect(NetworkLease.take(n, { address: "10.90.0.7", vm: "x", aliases: [], ...(await me()) })).rejects.toThrow(
      "--ip 10.90.0.7 is not an address a VM can have on the network lease (10.90.0.2 to 10.90.0.6).",
    );
    const more = [];
    for (const vm of ["p", "q", "r", "s"]) more.push(await NetworkLease.take(n, { vm, aliases: [], ...(await me()) }));
    expect(more.map((l) => l.address)).toEqual(["10.90.0.2", "10.90.0.3", "10.90.0.4", "10.90.0.6"]);
    await expect(NetworkLease.take(n, { vm: "t", aliases: [], ...(await me()) })).rejects.toThrow(
      "Every address on the network lease (10.90.0.0/29) is in use; stop a VM on it, or make a larger network.",
    );
    for (const l of [a, ...more]) await l.release();
  });

  it("refuses a name or alias another member answers to, keeping no address", async () => {
    const n = await findNetwork("lease", env);
    const a = await NetworkLease.take(n, { vm: "web", aliases: ["api"], ...(await other()) });
    await expect(NetworkLease.take(n, { vm: "api", aliases: [], ...(await me()) })).rejects.toThrow(
      "The name api is taken on the network lease by the VM web (10.90.0.2); choose another --name or --network-alias.",
    );
    expect((await networkMembers(n)).map((m) => m.vm)).toEqual(["web"]);
    await a.release();
  });
});

describe("what the kernel and QEMU are given", () => {
  it("ip= for the private NIC without a gateway, hosts= per member, the control line", () => {
    expect(privateIpToken("10.89.0.3", parseSubnet("10.89.0.0/24"), 1)).toBe("ip=10.89.0.3/24:::::eth1:off");
    expect(hostsToken({ address: "10.89.0.2", vm: "db", aliases: ["mysql"], label: "x", pid: 1, start: "1" })).toBe("hosts=10.89.0.2:db:mysql");
    expect(hostsToken({ address: "10.89.0.4", aliases: [], label: "x", pid: 1, start: "1" })).toBeUndefined();
    expect(hostsLine("10.89.0.2", ["db", "mysql"])).toBe("hosts 10.89.0.2 db mysql\n");
  });

  it("a membership gives the VM its NIC, ip= and every member's names, itself included", async () => {
    const n = await findNetwork("front", env);
    const db = await NetworkLease.take(n, { vm: "db", aliases: [], ...(await other()) });
    const m = await Membership.join({ networks: ["front"], aliases: ["www"], vm: "web", ...(await me()), firstIndex: 1, env });
    expect(m.tokens).toEqual(["ip=10.89.0.3/24:::::eth1:off", "hosts=10.89.0.2:db", "hosts=10.89.0.3:web:www"]);
    expect(m.nics).toEqual([{ group: n.record.group, port: n.record.port, mac: "52:54:0a:59:00:03" }]);
    await expect(Membership.join({ networks: ["front", "back"], address: "10.89.0.9", aliases: [], ...(await me()), firstIndex: 1, env })).rejects.toThrow(
      "--ip with private networks names the address on one network; give a single --network NAME with it.",
    );
    await expect(Membership.join({ networks: ["a1", "a2", "a3", "a4"], aliases: [], ...(await me()), firstIndex: 1, env })).rejects.toThrow(
      "A VM can be on at most 3 private networks (the kernel configures eth0 to eth3); --network names 4.",
    );
    await m.release();
    await db.release();
  });

  it("QEMU joins the segment's multicast group on the loopback, after the user network's NIC", () => {
    const nic = { group: "239.255.1.2", port: 40000, mac: "52:54:0a:59:00:02" };
    expect(privateNicArgs([nic])).toEqual([
      "-netdev", "socket,id=pnet0,mcast=239.255.1.2:40000,localaddr=127.0.0.1",
      "-device", "virtio-net-pci,netdev=pnet0,mac=52:54:0a:59:00:02",
    ]);
    const args = buildQemuArgs({
      memory: "256M", cpus: 1, accel: "tcg", kernel: "k", cmdline: "", root: { file: "r", offset: 0, size: 1 },
      serialFiles: { com1: "1", com2: "2", com3: "3" }, network: { forwards: [] }, privateNics: [nic],
    });
    expect(args.indexOf("socket,id=pnet0,mcast=239.255.1.2:40000,localaddr=127.0.0.1")).toBeGreaterThan(args.indexOf("user,id=net0"));
  });

  it("--network splits into the first NIC's choice and private networks", () => {
    expect(splitNetworks([])).toEqual({ choice: { kind: "user" }, privateNets: [] });
    expect(splitNetworks(["back", "user", "front"])).toEqual({ choice: { kind: "user" }, privateNets: ["back", "front"] });
    expect(splitNetworks(["none", "back"])).toEqual({ choice: { kind: "none" }, privateNets: ["back"] });
    expect(() => splitNetworks(["user", "none"])).toThrow("--network user and --network none both choose the first NIC; give one of user, none and tap:IFNAME.");
  });
});

describe("run --network, before any VM starts", () => {
  it("an unknown network, an alias without a network, a bad --ip: one sentence", async () => {
    expect((await cli(["run", "--network", "nosuch", "--exec", "/bin/true"])).stderr).toBe(
      "uninode: There is no network named nosuch; create it with `uninode network create nosuch` (`uninode network ls` lists them).\n",
    );
    expect((await cli(["run", "--network-alias", "x", "--exec", "/bin/true"])).stderr).toBe("uninode: --network-alias names the VM on a private network; add --network NAME.\n");
    expect((await cli(["run", "--network", "front", "--ip", "10.89.0.9/24", "--exec", "/bin/true"])).stderr).toBe(
      'uninode: --ip with --network front is the VM\'s address on it, such as 10.89.0.7, got "10.89.0.9/24".\n',
    );
  });
});
