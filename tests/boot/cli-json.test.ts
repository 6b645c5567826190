// --json end to end on a detached VM: run -d prints what a script needs, logs --json gives the
// program's lines as objects, rm --json says what it removed. A C program that prints its argv
// and exits; boots the real kernel under QEMU (TCG here).

import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-boot-json-"));
  execFileSync("gcc", ["-O1", "-o", join(work, "args_env"), join(root, "tests/conformance/c/args_env.c")]);
});
afterAll(async () => {
  if (work) {
    await uninode(["rm", "-f", "jsonvm"]);
    await rm(work, { recursive: true, force: true });
  }
});

function uninode(args: string[]) {
  return execa("node", [cli, ...args], { cwd: work, reject: false, env: { XDG_CACHE_HOME: join(work, "cache"), XDG_STATE_HOME: join(work, "state") } });
}

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, "127.0.0.1");
  await new Promise((r) => s.once("listening", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe("--json with a detached VM", () => {
  it("run -d --json, logs --json, rm --json", async () => {
    const port = await freePort();
    const started = await uninode(["run", "-d", "--json", "--name", "jsonvm", "-p", `${port}:3000`, "--exec", "./args_env", "--", "0", "two words"]);
    expect(started.exitCode).toBe(0);
    const doc = JSON.parse(started.stdout);
    expect(doc).toMatchObject({ name: "jsonvm", image: "--exec ./args_env", ports: [`127.0.0.1:${port}->3000/tcp`], memory: "256M", cpus: 1 });
    expect(doc.id).toMatch(/^[0-9a-f]{12}$/);
    expect(typeof doc.pid).toBe("number");

    let state = "running";
    for (let waited = 0; state === "running" && waited < 120_000; waited += 500) {
      await sleep(500);
      const ps = JSON.parse((await uninode(["ps", "-a", "--json"])).stdout) as { name: string; state: string }[];
      state = ps.find((i) => i.name === "jsonvm")?.state ?? "missing";
    }
    expect(state).toBe("exited");

    const logs = await uninode(["logs", "--json", "jsonvm"]);
    expect(logs.exitCode).toBe(0);
    const lines = logs.stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
    expect(lines.slice(0, 3)).toEqual([
      { stream: "stdout", text: "argc=3" },
      { stream: "stdout", text: "argv[1]=0" },
      { stream: "stdout", text: "argv[2]=two words" },
    ]);

    const removed = await uninode(["rm", "--json", "jsonvm"]);
    expect(JSON.parse(removed.stdout)).toEqual({ removed: ["jsonvm"] });
    const gone = await uninode(["logs", "--json", "jsonvm"]);
    expect(gone.exitCode).not.toBe(0);
    expect(JSON.parse(gone.stdout).error.message).toMatch(/jsonvm/);
  });
});
