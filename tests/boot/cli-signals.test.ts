// Ctrl-C and `uninode stop` reach the program as SIGINT/SIGTERM through the
// kernel channel (CONTRACT.md), so a server can shut down by itself.

import { execa } from "execa";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");
let work: string;
let state: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-sig-"));
  state = join(work, "state");
  await writeFile(
    join(work, "graceful.js"),
    `const http = require('http');
const s = http.createServer((q, r) => r.end('ok')).listen(3000, () => console.log('listening'));
process.on('SIGINT', () => { console.log('got SIGINT'); s.close(() => { console.log('closed'); process.exit(0); }); });
process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(5); });
`,
  );
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function waitFor(check: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) if (await check()) return;
  throw new Error("timed out waiting");
}

test("Ctrl-C is passed to the program, which closes its server and exits 0", async () => {
  const child = execa("node", [cli, "run", "--exec", "node", "-m", "1G", "--add", `${join(work, "graceful.js")}:/app/g.js`, "--", "/app/g.js"], {
    reject: false,
    cwd: work,
  });
  let out = "";
  child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
  await waitFor(() => out.includes("listening"), 90_000);
  child.kill("SIGINT");
  const r = await child;
  expect(out).toBe("listening\ngot SIGINT\nclosed\n");
  expect(r.exitCode).toBe(0);
}, 120_000);

test("uninode stop sends SIGTERM: the program's handler runs and its exit status is kept", async () => {
  const env = { ...process.env, XDG_STATE_HOME: state };
  const name = `sig${process.pid}`;
  await execa("node", [cli, "run", "-d", "--name", name, "--exec", "node", "-m", "1G", "--add", `${join(work, "graceful.js")}:/app/g.js`, "--", "/app/g.js"], { env, cwd: work });
  try {
    await waitFor(async () => (await execa("node", [cli, "logs", name], { env })).stdout.includes("listening"), 90_000);
    const t0 = Date.now();
    await execa("node", [cli, "stop", name], { env });
    expect(Date.now() - t0).toBeLessThan(8000); // well inside the 10 s grace: the program exited by itself
    expect((await execa("node", [cli, "logs", name], { env })).stdout).toBe("listening\ngot SIGTERM");
    expect((await execa("node", [cli, "ps", "-a"], { env })).stdout).toMatch(new RegExp(`${name}.*exited \\(5\\)`));
  } finally {
    await execa("node", [cli, "rm", "-f", name], { env, reject: false });
  }
}, 150_000);

test("a CLI killed outright (SIGKILL) takes its VM with it", async () => {
  const child = execa("node", [cli, "run", "--exec", "sleep", "--", "600"], { reject: false, cwd: work });
  let qemu: number | undefined;
  await waitFor(async () => {
    const r = await execa("pgrep", ["-P", String(child.pid), "-f", "qemu-system"], { reject: false });
    qemu = Number(r.stdout.trim().split("\n")[0]) || undefined;
    return qemu !== undefined;
  }, 60_000);
  child.kill("SIGKILL");
  await child;
  // The kernel sends QEMU SIGTERM when its parent dies; QEMU stops at once.
  await waitFor(async () => (await execa("kill", ["-0", String(qemu)], { reject: false })).exitCode !== 0, 10_000);
}, 120_000);
