// Detached VMs end to end: run -d, ps, logs, stop, rm, with a static C program that sleeps,
// and an instance whose QEMU was killed behind uninode's back. Boots under QEMU (TCG here).

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");
let work: string;
let sleeper: string;
let env: NodeJS.ProcessEnv;

const SLEEPER_C = `#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
  printf("sleeper up\\n"); fflush(stdout);
  fprintf(stderr, "sleeper err\\n");
  sleep(argc > 1 ? atoi(argv[1]) : 1000);
  printf("sleeper done\\n");
  return 4;
}
`;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "uninode-inst-"));
  writeFileSync(join(work, "sleeper.c"), SLEEPER_C);
  sleeper = join(work, "sleeper");
  execFileSync("gcc", ["-static", "-O1", "-o", sleeper, join(work, "sleeper.c")]);
  env = { ...process.env, XDG_STATE_HOME: join(work, "state") };
});

afterAll(async () => {
  // Never leave a VM behind, whatever failed.
  await uninode(["rm", "-f", "nap", "brief", "victim"]).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

function uninode(args: string[]) {
  return execa("node", [cli, ...args], { cwd: work, env, reject: false });
}

async function psJson(): Promise<{ name: string; state: string; status: string; exitCode: number | null; pid: number | null }[]> {
  return JSON.parse((await uninode(["ps", "-a", "--output", "json"])).stdout);
}

/** Polls `fn` until it is true or `ms` pass (TCG boots take seconds). */
async function until(fn: () => Promise<boolean>, ms = 90_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(250)) if (await fn()) return;
  throw new Error("timed out waiting");
}

describe("detached VMs", () => {
  it("run -d, ps, logs, stop, rm", async () => {
    const started = await uninode(["run", "-d", "--name", "nap", "--exec", sleeper]);
    expect(started.stderr).toBe("");
    expect(started.stdout).toBe("nap");
    expect(started.exitCode).toBe(0);

    const table = (await uninode(["ps"])).stdout.split("\n");
    expect(table[0]).toMatch(/^NAME\s+IMAGE\s+STATUS\s+PORTS\s+CREATED$/);
    expect(table[1]).toMatch(/^nap\s+--exec \S+sleeper\s+running\s/);

    await until(async () => (await uninode(["logs", "nap"])).stdout.includes("sleeper up"));
    const logs = await uninode(["logs", "nap"]);
    expect(logs.stdout).toBe("sleeper up");
    expect(logs.stderr).toBe("sleeper err");

    const again = await uninode(["run", "-d", "--name", "nap", "--exec", sleeper]);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toBe("uninode: An instance named nap is already running; stop it (uninode stop nap) or choose another --name.");

    const busy = await uninode(["rm", "nap"]);
    expect(busy.exitCode).toBe(1);
    expect(busy.stderr).toMatch(/nap is still running; stop it first/);

    const stopped = await uninode(["stop", "-t", "1", "nap"]);
    expect(stopped.exitCode).toBe(0);
    expect((await psJson()).find((i) => i.name === "nap")).toMatchObject({ state: "exited", status: "stopped", pid: null });
    expect((await uninode(["ps"])).stdout.split("\n").filter((l) => l.startsWith("nap"))).toEqual([]);

    expect((await uninode(["rm", "nap"])).exitCode).toBe(0);
    expect((await psJson()).find((i) => i.name === "nap")).toBeUndefined();
    const gone = await uninode(["logs", "nap"]);
    expect(gone.stderr).toBe("uninode: There is no instance named nap; `uninode ps -a` lists them.");
  });

  it("shows the exit status of a program that ended on its own", async () => {
    expect((await uninode(["run", "-d", "--name", "brief", "--exec", sleeper, "--", "1"])).exitCode).toBe(0);
    // logs -f follows until the program has ended, then returns with all of it.
    const followed = await uninode(["logs", "-f", "brief"]);
    expect(followed.stdout).toBe("sleeper up\nsleeper done");
    expect(followed.stderr).toBe("sleeper err");
    await until(async () => (await psJson()).find((i) => i.name === "brief")?.state === "exited");
    expect((await psJson()).find((i) => i.name === "brief")).toMatchObject({ status: "exited (4)", exitCode: 4 });
    expect((await uninode(["logs", "brief"])).stdout).toBe("sleeper up\nsleeper done");
    expect((await uninode(["rm", "brief"])).exitCode).toBe(0);
  });

  it("notices a QEMU that died behind its back, and cleans its socket", async () => {
    expect((await uninode(["run", "-d", "--name", "victim", "--exec", sleeper])).exitCode).toBe(0);
    const pid = (await psJson()).find((i) => i.name === "victim")!.pid!;
    process.kill(pid, "SIGKILL");
    await until(async () => (await psJson()).find((i) => i.name === "victim")?.state === "exited", 10_000);
    expect(existsSync(join(work, "state", "uninode", "instances", "victim", "qmp.sock"))).toBe(false);
    expect((await uninode(["stop", "victim"])).exitCode).toBe(0); // already gone: nothing to do
    expect((await uninode(["rm", "victim"])).exitCode).toBe(0);
  });
});
