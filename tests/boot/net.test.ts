// The network end to end: C programs and Node in the image, talking to the host through QEMU's
// user network (published ports one way, 10.0.2.2 the other) and to themselves over loopback.
// Every VM here boots the real kernel under QEMU (TCG on this team's machines): generous timeouts.

import { execa, type ResultPromise } from "execa";
import { createHash } from "node:crypto";
import dgram from "node:dgram";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");

let work: string;
const bins = new Map<string, string>();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-net-"));
  for (const name of ["net_loopback", "net_echo_server", "net_client", "net_udp_echo", "net_churn"]) {
    const out = join(work, name);
    await execa("gcc", ["-O2", "-Wall", "-o", out, join(import.meta.dirname, "c", `${name}.c`)]);
    bins.set(name, out);
  }
  await writeFile(join(work, "server.js"), SERVER_JS);
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** A port free on the host right now (TCP or UDP). */
async function freePort(proto: "tcp" | "udp" = "tcp"): Promise<number> {
  if (proto === "udp") {
    const s = dgram.createSocket("udp4");
    await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
    const port = s.address().port;
    s.close();
    return port;
  }
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

interface Vm {
  child: ResultPromise<{ reject: false; cwd: string }>;
  /** Resolves once the program printed TEXT on stdout. */
  printed(text: string): Promise<void>;
}

function boot(args: string[]): Vm {
  const child = execa("node", [cli, "run", "--timeout", "600", ...args], { reject: false, cwd: work });
  let out = "";
  const waiters: Array<() => void> = [];
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  const printed = (text: string) =>
    new Promise<void>((res, rej) => {
      const check = () => (out.includes(text) ? res() : waiters.push(check));
      void child.then((r) => (out.includes(text) ? res() : rej(new Error(`VM ended without printing ${text}: ${r.stderr}`))));
      check();
    });
  return { child, printed };
}

/** Send DATA on a fresh TCP connection to 127.0.0.1:PORT, half-close, collect the answer. */
function echoOnce(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((res, rej) => {
    const chunks: Buffer[] = [];
    const s = net.connect(port, "127.0.0.1", () => s.end(data));
    s.on("data", (c) => chunks.push(c));
    s.on("end", () => res(Buffer.concat(chunks)));
    s.on("error", rej);
  });
}

function request(port: number, path: string, opts: { method?: string; body?: Buffer; agent?: http.Agent } = {}): Promise<{ status: number; body: Buffer }> {
  return new Promise((res, rej) => {
    const req = http.request({ host: "127.0.0.1", port, path, method: opts.method ?? "GET", agent: opts.agent ?? false }, (r) => {
      const chunks: Buffer[] = [];
      r.on("data", (c: Buffer) => chunks.push(c));
      r.on("end", () => res({ status: r.statusCode ?? 0, body: Buffer.concat(chunks) }));
      r.on("error", rej);
    });
    req.on("error", rej);
    req.end(opts.body);
  });
}

const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");
const pattern = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + 7) & 255));

describe("network, C programs", () => {
  it("a server talks to itself over 127.0.0.1 and ::1 (TCP, UDP), and socketpair works", async () => {
    const r = await execa("node", [cli, "run", "--timeout", "300", "--exec", bins.get("net_loopback")!], { reject: false });
    expect(r.stdout.split("\n")).toEqual(["tcp 127.0.0.1 ok", "tcp ::1 ok", "tcp :: ok", "udp 127.0.0.1 ok", "udp ::1 ok", "socketpair ok", "refused ok"]);
    expect(r.exitCode).toBe(0);
  }, 120_000);

  it("closed connections give their memory back", async () => {
    const r = await execa("node", [cli, "run", "--timeout", "300", "--exec", bins.get("net_churn")!, "--", "500"], { reject: false });
    expect(r.stdout).toMatch(/^500 connections: free memory \d+ KiB before, \d+ KiB after\nno leak$/);
    expect(r.exitCode).toBe(0);
  }, 120_000);

  it("a TCP echo server in the image answers through a published port", async () => {
    const port = await freePort();
    const vm = boot(["-p", `${port}:7000`, "--exec", bins.get("net_echo_server")!, "--", "7000", "3"]);
    await vm.printed("listening");
    const small = Buffer.from("hello, uninode\n");
    expect((await echoOnce(port, small)).toString()).toBe(small.toString());
    const big = pattern(3 << 20);
    expect(md5(await echoOnce(port, big))).toBe(md5(big));
    expect((await echoOnce(port, Buffer.from("bye"))).toString()).toBe("bye");
    const r = await vm.child;
    expect(r.stdout).toContain(`echoed ${small.length + big.length + 3} bytes over 3 connections`);
    expect(r.exitCode).toBe(0);
  }, 180_000);

  it("a C client in the image fetches from a server on the host (10.0.2.2)", async () => {
    const body = "from the host " + "x".repeat(100_000) + "\n";
    const srv = http.createServer((req, res) => res.end(req.url === "/data" ? body : "wrong path"));
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    try {
      const port = (srv.address() as net.AddressInfo).port;
      const r = await execa("node", [cli, "run", "--timeout", "300", "--exec", bins.get("net_client")!, "--", "10.0.2.2", String(port), "/data"], { reject: false });
      expect(r.stderr).toBe("");
      expect(r.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(r.stdout.endsWith("\r\n\r\n" + body.trimEnd())).toBe(true);
      expect(r.exitCode).toBe(0);
    } finally {
      srv.close();
    }
  }, 120_000);

  it("UDP: datagrams to a published port come back", async () => {
    const port = await freePort("udp");
    const vm = boot(["-p", `${port}:7001/udp`, "--exec", bins.get("net_udp_echo")!, "--", "7001", "3"]);
    await vm.printed("listening");
    const sock = dgram.createSocket("udp4");
    try {
      for (const msg of ["one", "two", "three"]) {
        const reply = new Promise<string>((res) => sock.once("message", (m) => res(m.toString())));
        sock.send(msg, port, "127.0.0.1");
        expect(await reply).toBe(msg);
      }
    } finally {
      sock.close();
    }
    const r = await vm.child;
    expect(r.stdout).toContain("echoed 3 datagrams");
    expect(r.exitCode).toBe(0);
  }, 120_000);
});

const SERVER_JS = `
const http = require("http");
const big = Buffer.alloc(1 << 20);
for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 255;
const server = http.createServer((req, res) => {
  if (req.url === "/big") return res.end(big);
  if (req.url === "/echo") {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => res.end(Buffer.concat(chunks)));
    return;
  }
  if (req.url === "/fetch") {
    fetch(process.argv[2]).then((r) => r.text()).then((t) => res.end("fetched " + t), (e) => res.end("fetch failed " + e.cause));
    return;
  }
  if (req.url === "/ifaces") {
    const list = [];
    for (const [name, addrs] of Object.entries(require("os").networkInterfaces())) for (const a of addrs) list.push(name + " " + a.cidr);
    return res.end(list.sort().join("\\n"));
  }
  if (req.url === "/quit") {
    res.end("bye\\n");
    server.close();
    return setTimeout(() => process.exit(0), 50);
  }
  res.end("hello from uninode\\n");
});
// Idle keep-alive connections stay open for the whole test: opening 200 of them one by one
// under emulation takes longer than Node's default 5 s keepAliveTimeout.
server.keepAliveTimeout = 600000;
server.headersTimeout = 610000;
server.listen(3000, () => console.log("listening"));
`;

describe("network, Node http server", () => {
  let port: number;
  let vm: Vm;
  let host: http.Server;

  beforeAll(async () => {
    host = http.createServer((req, res) => res.end("host says hi"));
    await new Promise<void>((r) => host.listen(0, "127.0.0.1", r));
    const hostPort = (host.address() as net.AddressInfo).port;
    port = await freePort();
    vm = boot(["-m", "1G", "-p", `${port}:3000`, "--exec", "node", "--", "server.js", `http://10.0.2.2:${hostPort}/`]);
    await vm.printed("listening");
  }, 120_000);

  afterAll(async () => {
    host?.close();
    if (vm) {
      await request(port, "/quit").catch(() => undefined);
      const r = await vm.child;
      expect(r.exitCode).toBe(0);
    }
  }, 60_000);

  it("answers GET / through the host port", async () => {
    const r = await request(port, "/");
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe("hello from uninode\n");
  });

  it("sends a 1 MiB body byte for byte", async () => {
    const r = await request(port, "/big");
    expect(r.body.length).toBe(1 << 20);
    expect(md5(r.body)).toBe(md5(pattern(1 << 20)));
  }, 60_000);

  it("echoes a 5 MiB POST intact", async () => {
    const body = Buffer.alloc(5 << 20);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32LE((i * 2654435761) >>> 0, i);
    const r = await request(port, "/echo", { method: "POST", body });
    expect(r.body.length).toBe(body.length);
    expect(md5(r.body)).toBe(md5(body));
  }, 120_000);

  it("Node's fetch() in the image reaches a server on the host at 10.0.2.2", async () => {
    const r = await request(port, "/fetch");
    expect(r.body.toString()).toBe("fetched host says hi");
  }, 60_000);

  it("os.networkInterfaces() lists loopback, the DHCP address and IPv6 link-local and SLAAC addresses", async () => {
    const lines = (await request(port, "/ifaces")).body.toString().split("\n");
    expect(lines).toEqual(expect.arrayContaining(["eth0 10.0.2.15/24", "lo 127.0.0.1/8", "lo ::1/128"]));
    expect(lines.some((l) => /^eth0 fe80::[0-9a-f:]+\/64$/.test(l))).toBe(true);
    expect(lines.some((l) => /^eth0 fec0::[0-9a-f:]+\/64$/.test(l))).toBe(true);
  });

  it("serves 200 keep-alive clients in parallel", async () => {
    // QEMU's user network accepts host connections with a listen backlog of 1, so many connects at
    // once overflow the host's queue (client resets that never reach the guest; on a loaded machine
    // even 10 at once did). So the 200 keep-alive connections are opened one after another, each
    // client with an agent of its own; then every round sends 200 requests at once, one per connection.
    const agents = Array.from({ length: 200 }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
    try {
      for (const agent of agents) await request(port, "/", { agent });
      const open = agents.reduce((n, a) => n + Object.values(a.freeSockets).reduce((m, s) => m + (s?.length ?? 0), 0), 0);
      expect(open).toBe(200);
      for (let round = 0; round < 3; round++) {
        const rs = await Promise.all(agents.map((agent) => request(port, "/", { agent })));
        expect(rs.filter((r) => r.status === 200 && r.body.toString() === "hello from uninode\n").length).toBe(200);
      }
    } finally {
      for (const agent of agents) agent.destroy();
    }
  }, 300_000);
});
