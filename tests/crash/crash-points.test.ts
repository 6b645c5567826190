// Crash consistency the way file-system developers test it: QEMU's blklogwrites records every
// write and flush a workload makes on a volume; the disk is then rebuilt as it stood at each
// flush, and between flushes with unflushed writes lost, and each state is mounted by the
// kernel's own filesystem code (compiled for the host: tests/crash/volcheck.c), which replays
// the journal as the kernel does at boot. Every state must mount, pass e2fsck -fn after the
// replay, and hold every record the workload had been told was durable before that point.

import { execa } from "execa";
import { statSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildState, crashStates, parseLog, requiredRecords } from "./blklog.js";
import { buildAppender, buildVolcheck, createVolume, fsck, lastAck, runWorkload } from "./harness.js";

const SEED = Number(process.env["CRASH_SEED"] ?? 7);
/** States checked per workload; more are sampled evenly (CRASH_STATES raises it). */
const MAX_STATES = Number(process.env["CRASH_STATES"] ?? 160);
let work: string;
let appender: string;
let volcheck: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-crashpoints-"));
  appender = buildAppender(work);
  volcheck = buildVolcheck(work);
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Every Kth of LIST so that at most MAX remain, the last always kept. */
function sample<T>(list: T[], max: number): T[] {
  if (list.length <= max) return list;
  const step = list.length / max;
  const out = Array.from({ length: max - 1 }, (_, i) => list[Math.floor(i * step)]!);
  return [...out, list[list.length - 1]!];
}

describe.each([
  { mode: "append", count: 24, what: /^log (\d+)/m },
  { mode: "overwrite", count: 24, what: /^log (\d+)/m },
  { mode: "rename", count: 12, what: /^state (\d+)/m },
])("the $mode workload", ({ mode, count, what }) => {
  it("leaves a consistent volume with every acknowledged record at every crash point", async () => {
    const name = `points-${mode}`;
    const file = await createVolume(work, name);
    const before = await readFile(file);
    const logDir = join(work, `log-${mode}`);
    await mkdir(logDir);
    const logFile = join(logDir, `${name}.log`);
    const run = runWorkload(work, appender, name, [mode, "/data", String(count), "40"],
      () => statSync(logFile).size, { UNINODE_VOLUME_WRITE_LOG: logDir });
    const r = await run.proc;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(lastAck(run.acks)).toBe(count);

    const log = await readFile(logFile);
    const parsed = parseLog(log);
    const flushes = parsed.entries.filter((e) => e.flags & 1).length;
    expect(flushes, "a durable workload flushes").toBeGreaterThanOrEqual(count);
    const states = sample(crashStates(parsed, 2, SEED), MAX_STATES);
    const img = join(work, `${mode}.img`);
    const out = join(work, `${mode}-out`);
    let checked = 0;
    for (const state of states) {
      await writeFile(img, buildState(before, log, parsed, state));
      await rm(out, { recursive: true, force: true });
      await mkdir(out);
      const label = `${mode}, ${state.name} (seed ${SEED})`;
      const mount = await execa(volcheck, [img, out, "log", "state"], { reject: false, all: true });
      expect(mount.exitCode, `${label}: ${mount.all}`).toBe(0);
      expect(mount.stdout, label).toMatch(/^clean$/m);
      const fs = await fsck(img);
      expect(fs.code, `${label}: e2fsck after the replay:\n${fs.out}`).toBe(0);
      const check = await execa(appender, ["check", out], { reject: false });
      expect(check.exitCode, `${label}: ${check.stdout}`).toBe(0);
      const found = Number(what.exec(check.stdout)?.[1] ?? -1);
      const need = requiredRecords(parsed, run.acks, state);
      expect(found, `${label}: ${check.stdout.trim()}; ${need} had been acknowledged`).toBeGreaterThanOrEqual(need);
      checked++;
    }
    expect(checked).toBeGreaterThan(count);
    // The volume the VM left (a clean exit) is whole too.
    expect((await fsck(file)).code).toBe(0);
  }, 900_000);
});
