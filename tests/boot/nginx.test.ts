// apps/nginx end to end, in one VM: Debian's nginx built from the recipe (with a 10 MiB file
// added to its pages), its site config replaced by a host directory (-v ./conf.d:...:ro, as
// users do), then from the host: the recipe's index page, the 10 MiB file byte-exact (sendfile
// with TCP_CORK), 1,000 requests over keep-alive connections, a reverse proxy to an HTTP server
// this test runs on the host, by a name the recipe's `hosts` puts in /etc/hosts (the guest
// reaches the host at 10.0.2.2 under QEMU's user network),
// and SIGTERM ending the VM.

import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, expect, test } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");
const recipe = join(root, "apps/nginx");
const BIG = 10 << 20;

let work: string;
let env: NodeJS.ProcessEnv;
let port: number;
let big: Buffer;
let upstream: http.Server;
let upstreamPort: number;
let vm: ResultPromise<{ reject: false; cwd: string; env: NodeJS.ProcessEnv }> | undefined;
let stdout = "";
let stderr = "";

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => res(p));
    });
  });
}

interface Reply { status: number; body: Buffer; headers: http.IncomingHttpHeaders }

function request(path: string, opts: { agent?: http.Agent; method?: string; body?: Buffer; headers?: http.OutgoingHttpHeaders } = {}): Promise<Reply & { reused: boolean; socket: net.Socket }> {
  return new Promise((res, rej) => {
    const req = http.request({ host: "127.0.0.1", port, path, method: opts.method ?? "GET", agent: opts.agent ?? false, headers: opts.headers, timeout: 60_000 }, (r) => {
      const chunks: Buffer[] = [];
      r.on("data", (c: Buffer) => chunks.push(c));
      r.on("end", () => res({ status: r.statusCode ?? 0, body: Buffer.concat(chunks), headers: r.headers, reused: req.reusedSocket, socket: req.socket! }));
      r.on("error", rej);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on("error", rej);
    req.end(opts.body);
  });
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** N bytes that look random (xorshift32) and are the same every run. */
function pattern(n: number): Buffer {
  const words = new Uint32Array(n / 4);
  let x = 2463534242;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return Buffer.from(words.buffer);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "uninode-nginx-"));
  env = { ...process.env, XDG_STATE_HOME: join(work, "state") };
  port = await freePort();

  // The upstream: answers with what it was asked, and echoes bodies back.
  upstream = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (req.url === "/large") {
        res.end(big.subarray(0, 1 << 20));
        return;
      }
      res.setHeader("x-upstream-saw", `${req.method} ${req.url} host=${req.headers.host}`);
      res.end(req.method === "POST" ? body : `upstream: ${req.url}\n`);
    });
  });
  await new Promise<void>((res) => upstream.listen(0, "127.0.0.1", res));
  upstreamPort = (upstream.address() as net.AddressInfo).port;

  // The recipe, copied, with the big file among its pages and a name for the host in /etc/hosts.
  const r = join(work, "recipe");
  cpSync(recipe, r, { recursive: true });
  const config = JSON.parse(readFileSync(join(r, "uninode.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(join(r, "uninode.json"), JSON.stringify({ ...config, hosts: { "upstream.test": "10.0.2.2" } }));
  big = pattern(BIG);
  writeFileSync(join(r, "html/big.bin"), big);
  const image = join(work, "nginx.img");
  // Its own tag, so a user's `nginx` stays theirs; the same bytes each run, so the cache has one copy.
  const built = await execa("node", [cli, "build", r, "-o", image, "--tag", "uninode-test-nginx"], { cwd: work, env, reject: false });
  expect(built.stderr + built.stdout).not.toMatch(/error/i);
  expect(built.exitCode).toBe(0);

  // The site config users would write: the image's pages, and /api/ proxied to the host by name.
  const conf = join(work, "conf.d");
  mkdirSync(conf);
  writeFileSync(join(conf, "site.conf"), `server {
	listen 80 default_server;
	root /usr/share/nginx/html;
	location / { try_files $uri $uri/ =404; }
	location /api/ { proxy_pass http://upstream.test:${upstreamPort}/; }
}
`);

  vm = execa("node", [cli, "run", "-p", `${port}:80`, "-v", `${conf}:/etc/nginx/conf.d:ro`, "--timeout", "600", image], { cwd: work, env, reject: false });
  vm.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
  vm.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  let exited = false;
  void vm.then(() => (exited = true));
  for (const end = Date.now() + 90_000; ; ) {
    const ok = await request("/").then((x) => x.status === 200, () => false);
    if (ok) break;
    if (Date.now() > end || exited) throw new Error(`nginx did not answer:\n${stderr}`);
    await new Promise((res) => setTimeout(res, 500));
  }
}, 300_000);

afterAll(async () => {
  vm?.kill("SIGKILL");
  await vm;
  upstream?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test("the recipe's index page; the access log on stdout, nothing alarming on stderr", async () => {
  const r = await request("/");
  expect(r.status).toBe(200);
  expect(r.body.toString()).toContain("nginx on uninode");
  expect(r.headers["content-type"]).toBe("text/html");
  expect((await request("/missing")).status).toBe(404);
  expect(stdout).toMatch(/"GET \/ HTTP\/1\.1" 200 \d+/);
  expect(stderr).not.toMatch(/\[(alert|emerg|crit)\]/);
});

test("a 10 MiB file comes back byte-exact, whole and by range", async () => {
  const r = await request("/big.bin");
  expect(r.status).toBe(200);
  expect(r.body.length).toBe(BIG);
  expect(sha(r.body)).toBe(sha(big));
  const part = await request("/big.bin", { headers: { range: "bytes=5000000-6000000" } });
  expect(part.status).toBe(206);
  expect(sha(part.body)).toBe(sha(big.subarray(5_000_000, 6_000_001)));
  expect(stdout).toContain(`"GET /big.bin HTTP/1.1" 200 ${BIG}`);
});

test("1,000 requests over 4 keep-alive connections", async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const sockets = new Set<net.Socket>();
  let ok = 0;
  let reused = 0;
  const one = async () => {
    const r = await request("/index.html", { agent });
    if (r.status === 200 && r.body.toString().includes("nginx on uninode")) ok++;
    if (r.reused) reused++;
    sockets.add(r.socket);
  };
  for (let i = 0; i < 250; i++) await Promise.all([one(), one(), one(), one()]);
  agent.destroy();
  expect(ok).toBe(1000);
  expect(sockets.size).toBeLessThanOrEqual(4);
  expect(reused).toBeGreaterThanOrEqual(996);
}, 300_000);

test("a reverse proxy to a server on the host: GET, a 1 MiB answer, a 200 KiB upload", async () => {
  const g = await request("/api/hello?x=1");
  expect(g.status).toBe(200);
  expect(g.body.toString()).toBe("upstream: /hello?x=1\n");
  expect(g.headers["x-upstream-saw"]).toBe(`GET /hello?x=1 host=upstream.test:${upstreamPort}`);
  // Larger than proxy_buffers: nginx reads from the upstream while the client drains it.
  const large = await request("/api/large");
  expect(sha(large.body)).toBe(sha(big.subarray(0, 1 << 20)));
  // Larger than client_body_buffer_size: the request body goes through a temp file in
  // /var/lib/nginx/body (on the root's writable layer), which nginx says at [warn].
  const upload = big.subarray(123, 123 + 200 * 1024);
  const p = await request("/api/echo", { method: "POST", body: upload, headers: { "content-type": "application/octet-stream" } });
  expect(p.status).toBe(200);
  expect(sha(p.body)).toBe(sha(upload));
  expect(stderr).toMatch(/\[warn\] .*a client request body is buffered to a temporary file \/var\/lib\/nginx\/body\//);
}, 120_000);

// nginx with master_process off treats SIGTERM (and SIGQUIT) as "exit now": it closes its
// sockets, removes its pid file and exits 0. The time covers the CLI passing the signal over
// the kernel channel (polled at 100 Hz), nginx's exit, the kernel's exit record and QEMU
// stopping; under KVM that is a few milliseconds of guest work. Under TCG on this team's
// shared 2-core machines the same guest work runs tens of times slower and QEMU's teardown
// competes with other VMs, so the bound is 3 s, still far below the 10 s after which the CLI
// would stop QEMU itself.
test("SIGTERM ends nginx and the VM: exit status 0, within the bound", async () => {
  const t0 = Date.now();
  vm!.kill("SIGTERM");
  const r = await vm!;
  const ms = Date.now() - t0;
  expect(r.exitCode).toBe(0);
  expect(stderr).toMatch(/\[notice\] \d+#\d+: exit/);
  console.log(`nginx: SIGTERM to VM exit in ${ms} ms`);
  expect(ms).toBeLessThan(3000);
});
