// Private networks end to end: three Node servers in detached VMs. a and b share the network
// front and reach each other by name in both directions (a started first, so it learns b's name
// over its kernel channel; b gets a's at boot); c is on another network whose segment holds the
// same addresses and reaches neither (nor they it); `network rm` of a network in use is refused;
// ports published with -p reach a VM that also has a private NIC. Boots under QEMU (TCG here).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");
let work: string;
let env: NodeJS.ProcessEnv;
const ports: Record<string, number> = {};

// GET / answers who it is; GET /fetch?url=U answers what fetching U gave, or the error's code.
const SERVER_JS = `
const http = require("node:http");
http.createServer(async (req, res) => {
  const u = new URL(req.url, "http://x");
  if (u.pathname === "/fetch") {
    try {
      const r = await fetch(u.searchParams.get("url"), { signal: AbortSignal.timeout(4000) });
      res.end("ok " + (await r.text()));
    } catch (e) {
      res.end("failed " + (e.cause?.code ?? e.name));
    }
    return;
  }
  if (u.pathname === "/file") return res.end(require("node:fs").readFileSync(u.searchParams.get("path"), "utf8"));
  if (u.pathname === "/ifaces") return res.end(JSON.stringify(Object.entries(require("node:os").networkInterfaces()).map(([k, v]) => [k, v.filter((a) => a.family === "IPv4").map((a) => a.cidr)])));
  res.end("hello from " + process.env.ME);
}).listen(3000, () => console.log("listening"));
`;

function uninode(args: string[]) {
  return execa("node", [cli, ...args], { cwd: work, env, reject: false });
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

/** GET path from VM `vm` through its published port, retried while the VM boots. */
async function get(vm: string, path: string, ms = 90_000): Promise<string> {
  let last: unknown;
  for (const end = Date.now() + ms; Date.now() < end; await sleep(500)) {
    try {
      const r = await fetch(`http://127.0.0.1:${ports[vm]}${path}`, { signal: AbortSignal.timeout(15_000) });
      return await r.text();
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`no answer from ${vm}${path}: ${String(last)}`);
}

const fetchVia = (vm: string, url: string) => get(vm, `/fetch?url=${encodeURIComponent(url)}`);

async function start(name: string, networkArgs: string[]): Promise<void> {
  ports[name] = await freePort();
  const r = await uninode(["run", "-d", "--name", name, ...networkArgs, "-p", `${ports[name]}:3000`, "-e", `ME=${name}`, "--exec", "node", "--", "server.js"]);
  expect(r.stderr).toBe("");
  expect(r.stdout).toBe(name);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "uninode-pnet-"));
  writeFileSync(join(work, "server.js"), SERVER_JS);
  env = { ...process.env, XDG_STATE_HOME: join(work, "state"), XDG_DATA_HOME: join(work, "data") };
  expect((await uninode(["network", "create", "front"])).exitCode).toBe(0);
  expect((await uninode(["network", "create", "side"])).exitCode).toBe(0);
  // The same subnet as front, by hand (create refuses an overlap): only the segment keeps them apart.
  const sideFile = join(work, "data", "uninode", "networks", "side", "network.json");
  writeFileSync(sideFile, readFileSync(sideFile, "utf8").replace("10.89.1.0/24", "10.89.0.0/24"));
});

afterAll(async () => {
  await uninode(["rm", "-f", "a", "b", "c"]).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

describe("private networks", () => {
  it("two VMs reach each other by name both ways; a VM on another network reaches neither; rm of a network in use is refused", async () => {
    await start("a", ["--network", "front"]);
    // a answers through -p before b exists: published ports work beside the private NIC.
    expect(await get("a", "/")).toBe("hello from a");
    await start("b", ["--network", "front", "--network-alias", "bee"]);
    await start("c", ["--network", "side", "--ip", "10.89.0.9"]);

    expect(await fetchVia("b", "http://a:3000/")).toBe("ok hello from a");
    // a booted before b: it learnt b's names over its kernel channel.
    expect(await fetchVia("a", "http://b:3000/")).toBe("ok hello from b");
    expect(await fetchVia("a", "http://bee:3000/")).toBe("ok hello from b");
    expect(await get("a", "/file?path=/etc/hosts")).toMatch(/^10\.89\.0\.3\tb bee$/m);

    // Both NICs, as Linux shows them: netlink (os.networkInterfaces), /proc/net/dev and /proc/net/route
    // (the default route on eth0, the private subnet directly on eth1).
    expect(JSON.parse(await get("a", "/ifaces"))).toEqual([["lo", ["127.0.0.1/8"]], ["eth0", ["10.0.2.15/24"]], ["eth1", ["10.89.0.2/24"]]]);
    expect((await get("a", "/file?path=/proc/net/dev")).split("\n").slice(2).map((l) => l.split(":")[0]!.trim())).toEqual(["lo", "eth0", "eth1", ""]);
    const route = (await get("a", "/file?path=/proc/net/route")).split("\n").map((l) => l.trimEnd().split("\t").slice(0, 4).join(" "));
    expect(route.slice(1, 4)).toEqual(["eth0 00000000 0202000A 0003", "eth0 0002000A 00000000 0001", "eth1 0000590A 00000000 0001"]);

    // c's segment is another one: the same addresses, no answer (a names it not, it cannot see a).
    expect(await fetchVia("c", "http://10.89.0.2:3000/")).toMatch(/^failed /);
    expect(await fetchVia("a", "http://10.89.0.9:3000/")).toMatch(/^failed /);
    expect(await fetchVia("c", "http://a:3000/")).toBe("failed ENOTFOUND");

    const rm = await uninode(["network", "rm", "front"]);
    expect(rm.exitCode).toBe(1);
    expect(rm.stderr).toBe("uninode: The network front is in use by the VM a and the VM b; stop them first.");
    const inspect = JSON.parse((await uninode(["network", "inspect", "front", "--json"])).stdout);
    expect(inspect.vms.map((v: { address: string; vm: string; aliases: string[] }) => [v.address, v.vm, v.aliases])).toEqual([
      ["10.89.0.2", "a", []],
      ["10.89.0.3", "b", ["bee"]],
    ]);

    // Stopped VMs give their addresses back: the network can go.
    expect((await uninode(["stop", "-t", "0", "a", "b", "c"])).exitCode).toBe(0);
    expect((await uninode(["network", "rm", "front", "side"])).exitCode).toBe(0);
  }, 360_000);
});
