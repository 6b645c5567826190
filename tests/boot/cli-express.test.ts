// apps/express-hello end to end: `uninode build` of the real app (its node_modules installed by
// scripts/setup), then `uninode run -d -p PORT:3000` and HTTP requests from the host.

import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");
const app = join(root, "apps/express-hello");
let work: string;
let env: NodeJS.ProcessEnv;
let port: number;

function uninode(args: string[]) {
  return execa("node", [cli, ...args], { cwd: root, env, reject: false });
}

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => res(p));
    });
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "uninode-express-"));
  env = { ...process.env, XDG_STATE_HOME: join(work, "state") };
  port = await freePort();
});
afterAll(async () => {
  await uninode(["rm", "-f", "hello"]);
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!existsSync(join(app, "node_modules")))("apps/express-hello (needs scripts/setup's npm ci)", () => {
  it("builds: entry from scripts.start, production dependencies from the lockfile, a size breakdown", async () => {
    const out = join(work, "hello.img");
    const r = await uninode(["build", app, "-o", out]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^entry {4}server\.js \(from scripts\.start "node server\.js"\)$/m);
    expect(r.stdout).toMatch(/^deps {5}\d+ production packages \(from package-lock\.json\)$/m);
    expect(r.stdout).toMatch(/^sizes {4}node .*, node_modules [\d.]+ (KiB|MiB), kernel/m);
    // Rebuilding the unchanged app is a cache hit and gives the same bytes.
    const again = await uninode(["build", app, "-o", join(work, "again.img")]);
    expect(again.stdout).toMatch(/unchanged since the last build/);
    const digest = (f: string) => createHash("sha256").update(readFileSync(f)).digest("hex");
    expect(digest(join(work, "again.img"))).toBe(digest(out));
  });

  it("boots, and answers HTTP on the published port", async () => {
    const started = await uninode(["run", "-d", "--name", "hello", "-p", `${port}:3000`, app]);
    expect(started.stderr).toBe("");
    expect(started.exitCode).toBe(0);
    // Wait for the app's own word: it listens, or says why it cannot.
    let logs = "";
    for (const end = Date.now() + 120_000; Date.now() < end; await sleep(500)) {
      const l = await uninode(["logs", "hello"]);
      logs = l.stdout + l.stderr;
      if (/listening on port 3000|cannot listen/.test(logs)) break;
    }
    expect(logs).toMatch(/express-hello listening on port 3000/);

    const base = `http://127.0.0.1:${port}`;
    const hello = await fetch(`${base}/`);
    expect(await hello.text()).toBe("Hello from uninode\n");
    const dl = Buffer.from(await (await fetch(`${base}/download`)).arrayBuffer());
    const expected = Buffer.alloc(1 << 20);
    for (let i = 0; i < expected.length; i++) expected[i] = (i * 31) % 251;
    expect(dl.equals(expected)).toBe(true);
    const body = Buffer.from("echo this, byte for byte: \u00e9\u0000\u00ff");
    const echo = await fetch(`${base}/echo`, { method: "POST", body, headers: { "content-type": "application/octet-stream" } });
    expect(Buffer.from(await echo.arrayBuffer()).equals(body)).toBe(true);

    expect((await uninode(["stop", "-t", "5", "hello"])).exitCode).toBe(0);
  });
});
