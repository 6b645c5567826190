// QEMU killed outright at a random moment while a workload makes records durable on a volume;
// the next boot must find every acknowledged record intact (the kernel replays the journal at
// mount) and the volume must then pass e2fsck -fn. CRASH_TRIALS sets the number of trials (20
// here; scripts/crash-soak runs 500).

import { execa } from "execa";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { rng } from "./blklog.js";
import { buildAppender, cli, cliEnv, createVolume, fsck, lastAck, runWorkload } from "./harness.js";

const TRIALS = Number(process.env["CRASH_TRIALS"] ?? 20);
const SEED = Number(process.env["CRASH_SEED"] ?? Date.now() % 100000);
let work: string;
let appender: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-sigkill-"));
  appender = buildAppender(work);
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** The QEMU process the CLI started (its child: setpriv execs QEMU). */
function qemuOf(cliPid: number): number {
  const out = execFileSync("pgrep", ["-P", String(cliPid)]).toString().trim().split("\n");
  return Number(out[0]);
}

it(`keeps every acknowledged record through ${TRIALS} kills of QEMU (seed ${SEED})`, async () => {
  const random = rng(SEED);
  for (let t = 0; t < TRIALS; t++) {
    const mode = t % 2 === 0 ? "append" : "rename";
    const name = `kill${t}`;
    const file = await createVolume(work, name);
    const run = runWorkload(work, appender, name, [mode, "/data", "1000000"]);
    // Kill after 1 to 40 acknowledgements, and a random part of the next record's work.
    await run.acked(1 + Math.floor(random() * 40));
    await new Promise((r) => setTimeout(r, Math.floor(random() * 300)));
    try {
      process.kill(qemuOf(run.proc.pid!), "SIGKILL");
    } catch {
      throw new Error(`trial ${t}: the VM was gone before the kill: ${(await run.proc).stderr}`);
    }
    await run.proc;
    const acked = lastAck(run.acks);
    expect(acked, `trial ${t}: the workload acknowledged nothing`).toBeGreaterThan(0);

    const check = await execa("node", [cli, "run", "--timeout", "300", "--exec", appender, "-v", `${name}:/data`, "--", "check", "/data"],
      { env: cliEnv(work), reject: false });
    const label = `trial ${t} (${mode}, ${acked} acknowledged, seed ${SEED}): ${check.stdout} ${check.stderr}`;
    expect(check.exitCode, label).toBe(0);
    const found = Number((mode === "append" ? /^log (\d+)/m : /^state (\d+)/m).exec(check.stdout)?.[1] ?? -1);
    expect(found, label).toBeGreaterThanOrEqual(acked);
    const fs = await fsck(file);
    expect(fs.code, `${label}\n${fs.out}`).toBe(0);
    await execa("node", [cli, "volume", "rm", name], { env: cliEnv(work) });
  }
}, 60_000 + TRIALS * 90_000);
