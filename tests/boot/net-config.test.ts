// Addresses and names: the image config's "network" (a static address, gateway and DNS through
// the kernel's ip= token) against the default DHCP, /etc/resolv.conf written by the kernel from
// either, and /etc/hosts with the config's "hosts". Node apps under QEMU's user network (the
// host is 10.0.2.2, its DNS 10.0.2.3, DHCP hands out 10.0.2.15). Every VM boots the real kernel
// under TCG on this team's machines: generous timeouts.

import { execa } from "execa";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");

let work: string;
let host: http.Server;
let hostPort: number;

// Prints one JSON line: what /etc/resolv.conf says (and that it is the link into /run), what
// dns.lookup answers for localhost and the config's names, and what a server on the host at
// 10.0.2.2 answered, with the guest's own address on that connection.
const PROBE_JS = `
const fs = require("node:fs"), dns = require("node:dns/promises"), http = require("node:http");
const lookup = (name, family) => dns.lookup(name, { family }).then((a) => a.address, (e) => e.code);
const fetchHost = () => new Promise((res) => {
  http.get("http://10.0.2.2:" + process.env.HOST_PORT + "/", (r) => {
    const local = r.socket.localAddress;
    let body = "";
    r.on("data", (d) => (body += d));
    r.on("end", () => res({ body, local }));
  }).on("error", (e) => res({ error: e.code }));
});
(async () => {
  const resolv = fs.readFileSync("/etc/resolv.conf", "utf8");
  // Without a nameserver glibc asks 127.0.0.1:53, where nothing listens: the port-unreachable
  // answer (ECONNREFUSED on its socket) ends the lookup at once rather than after its timeouts.
  const t0 = Date.now();
  const missing = await lookup("not-in-hosts.invalid", 4);
  const missingMs = Date.now() - t0;
  const out = {
    resolvLink: fs.readlinkSync("/etc/resolv.conf"),
    resolv,
    localhost4: await lookup("localhost", 4),
    localhost6: await lookup("localhost", 6),
    db: await lookup("db.internal", 4),
    v6: await lookup("v6.internal", 6),
    missing,
    missingMs,
    host: await fetchHost(),
    // fetch() to a name from the config's hosts: getaddrinfo reads /etc/hosts.
    named: await fetch("http://db.internal:" + process.env.HOST_PORT + "/").then((r) => r.text(), (e) => (e.cause && e.cause.code) || e.message),
  };
  console.log(JSON.stringify(out));
})();
`;

async function makeApp(name: string, config: Record<string, unknown>): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", main: "probe.js", uninode: config }));
  await writeFile(join(dir, "probe.js"), PROBE_JS);
  return dir;
}

const HOSTS = { "db.internal": "10.0.2.2", "v6.internal": "fd00::2" };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-netcfg-"));
  host = http.createServer((_req, res) => res.end("hello from the host"));
  await new Promise<void>((r) => host.listen(0, "127.0.0.1", r));
  hostPort = (host.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((r) => host?.close(r));
  if (work) await rm(work, { recursive: true, force: true });
});

interface Probe {
  resolvLink: string;
  resolv: string;
  localhost4: string;
  localhost6: string;
  db: string;
  v6: string;
  missing: string;
  missingMs: number;
  named: string;
  host: { body?: string; local?: string; error?: string };
}

async function probe(app: string): Promise<{ probe: Probe; kernel: string; exitCode: number | undefined }> {
  const r = await execa("node", [cli, "run", "--verbose", "--timeout", "300", "-e", `HOST_PORT=${hostPort}`, app], { reject: false });
  const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
  if (line === undefined) throw new Error(`the probe printed nothing: ${r.stdout}\n${r.stderr}`);
  return { probe: JSON.parse(line) as Probe, kernel: r.stderr, exitCode: r.exitCode };
}

describe("network config", () => {
  it("a static address, gateway and DNS from the config: the app reaches the host and resolv.conf names the DNS", async () => {
    const app = await makeApp("static-app", { network: { address: "10.0.2.15/24", gateway: "10.0.2.2", dns: ["10.0.2.3"] }, hosts: HOSTS });
    const r = await probe(app);
    expect(r.kernel).toContain("-append ip=10.0.2.15/24::10.0.2.2::::off:10.0.2.3 ");
    expect(r.kernel).toMatch(/\[kernel\] net: eth0: 10\.0\.2\.15 netmask 255\.255\.255\.0 gateway 10\.0\.2\.2\n/);
    expect(r.probe.resolvLink).toBe("../run/resolv.conf");
    expect(r.probe.resolv).toBe("# Written by the uninode kernel from the kernel command line (ip=).\nnameserver 10.0.2.3\n");
    expect(r.probe.host).toEqual({ body: "hello from the host", local: "10.0.2.15" });
    expect(r.exitCode).toBe(0);
  }, 400_000);

  it("another static address is the one the app's connections come from, with two DNS servers", async () => {
    const app = await makeApp("static-other", { network: { address: "10.0.2.77/24", gateway: "10.0.2.2", dns: ["10.0.2.3", "10.0.2.4"] } });
    const r = await probe(app);
    expect(r.kernel).toMatch(/\[kernel\] net: eth0: 10\.0\.2\.77 netmask 255\.255\.255\.0 gateway 10\.0\.2\.2\n/);
    expect(r.kernel).not.toContain("10.0.2.15");
    expect(r.probe.resolv).toBe("# Written by the uninode kernel from the kernel command line (ip=).\nnameserver 10.0.2.3\nnameserver 10.0.2.4\n");
    expect(r.probe.host).toEqual({ body: "hello from the host", local: "10.0.2.77" });
    expect(r.exitCode).toBe(0);
  }, 400_000);

  it("by default DHCP: the same address and resolv.conf from DHCP's DNS option; localhost and the config's hosts resolve", async () => {
    const app = await makeApp("dhcp-app", { hosts: HOSTS });
    const r = await probe(app);
    expect(r.kernel).not.toContain(" ip=");
    expect(r.kernel).toMatch(/\[kernel\] net: eth0: 10\.0\.2\.15 netmask 255\.255\.255\.0 gateway 10\.0\.2\.2\n/);
    expect(r.probe.resolvLink).toBe("../run/resolv.conf");
    expect(r.probe.resolv).toBe("# Written by the uninode kernel from DHCP (server 10.0.2.2).\nnameserver 10.0.2.3\n");
    expect(r.probe.host).toEqual({ body: "hello from the host", local: "10.0.2.15" });
    expect(r.probe.localhost4).toBe("127.0.0.1");
    expect(r.probe.localhost6).toBe("::1");
    expect(r.probe.db).toBe("10.0.2.2");
    expect(r.probe.v6).toBe("fd00::2");
    // Not in /etc/hosts: asked of 10.0.2.3, which answers (or cannot reach a real DNS) with a failure.
    expect(["ENOTFOUND", "EAI_AGAIN"]).toContain(r.probe.missing);
    expect(r.probe.named).toBe("hello from the host");
    expect(r.exitCode).toBe(0);
  }, 400_000);
});

describe("the kernel's ip= token from QEMU's own command line", () => {
  let image: { path: string; kernel: string; offset: number; size: number };

  beforeAll(async () => {
    const app = await makeApp("raw-app", { env: { HOST_PORT: "1" }, hosts: HOSTS });
    const img = join(work, "raw.img");
    await execa("node", [cli, "build", app, "-o", img]);
    const { readImage, extractSection } = await import(join(root, "dist/image/image.js"));
    const info = await readImage(img);
    const kernel = join(work, "kernel.elf");
    await extractSection(info, "kernel", kernel);
    image = { path: img, kernel, offset: info.header.sections.rootfs.offset, size: info.header.sections.rootfs.size };
  }, 300_000);

  async function boot(append: string) {
    const out = (n: number) => join(work, `raw.com${n}`);
    const args = [
      "-M", "q35", "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
      "-m", "256M", "-smp", "1", "-accel", "tcg", "-cpu", "max", "-kernel", image.kernel, "-append", append,
      "-serial", `file:${out(1)}`, "-serial", `file:${out(2)}`, "-serial", `file:${out(3)}`,
      "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
      "-blockdev", `driver=raw,node-name=root,file.driver=file,file.filename=${image.path},file.locking=off,offset=${image.offset},size=${image.size},read-only=on`,
      "-device", "virtio-blk-pci,drive=root", "-netdev", "user,id=net0", "-device", "virtio-net-pci,netdev=net0",
    ];
    await execa("qemu-system-x86_64", args, { reject: false, timeout: 240_000 });
    const [stdout, kernel] = await Promise.all([1, 3].map((n) => readFile(out(n), "utf8")));
    return { probe: JSON.parse(stdout.split("\n").find((l) => l.startsWith("{")) ?? "{}") as Probe, kernel };
  }

  it("a token it cannot use is one log line, and DHCP", async () => {
    const r = await boot("ip=10.0.2.15/24::10.0.3.1");
    expect(r.kernel.split("\n").filter((l) => l.includes("ip="))).toEqual([
      "uninode: ip=10.0.2.15/24::10.0.3.1 ignored: the gateway is not another address on the client's network; using DHCP",
    ]);
    expect(r.kernel).toMatch(/net: eth0: 10\.0\.2\.15 netmask 255\.255\.255\.0 gateway 10\.0\.2\.2\n/);
    expect(r.probe.resolv).toBe("# Written by the uninode kernel from DHCP (server 10.0.2.2).\nnameserver 10.0.2.3\n");
  }, 300_000);

  it("DNS servers in the token replace DHCP's; a netmask in its own field; ip=off leaves no address and no nameserver", async () => {
    const dhcpDns = await boot("ip=::::::dhcp:10.0.2.3:10.0.2.9");
    expect(dhcpDns.kernel).toMatch(/net: eth0: 10\.0\.2\.15 netmask/);
    expect(dhcpDns.probe.resolv).toBe("# Written by the uninode kernel from the kernel command line (ip=).\nnameserver 10.0.2.3\nnameserver 10.0.2.9\n");

    const mask = await boot("ip=10.0.2.40::10.0.2.2:255.255.0.0::eth0:none");
    expect(mask.kernel).toMatch(/net: eth0: 10\.0\.2\.40 netmask 255\.255\.0\.0 gateway 10\.0\.2\.2\n/);
    expect(mask.probe.resolv).toBe("# Written by the uninode kernel: the kernel command line (ip=) names no DNS server.\n");

    const off = await boot("ip=off");
    expect(off.kernel).not.toMatch(/net: eth0:/);
    expect(off.kernel).not.toContain("no DHCP answer");
    expect(off.probe.resolv).toBe("# Written by the uninode kernel: the kernel command line (ip=) names no DNS server.\n");
    expect(off.probe.host.error).toMatch(/^E/);
    // No nameserver: 127.0.0.1:53 refuses at once (it took glibc's 10 s of timeouts before).
    expect(off.probe.missing).toBe("EAI_AGAIN");
    expect(off.probe.missingMs).toBeLessThan(5000);
  }, 600_000);
});
