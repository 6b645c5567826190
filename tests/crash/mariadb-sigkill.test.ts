// Issue 10's MariaDB workload: QEMU killed outright (SIGKILL) at a random moment while the host's
// `mariadb` client streams committed inserts (autocommit: one transaction per row) into InnoDB on a
// volume. The next boot must recover and hold every row whose COMMIT the client saw acknowledged,
// with no hole below the highest row; at the end, after a clean stop, e2fsck -fn finds the volume
// clean. The trials are chained: the boot that checks one trial runs the next one's inserts, so a
// trial costs one boot (crash recovery included) and the inserts, about 10-15 s under TCG.
// MARIADB_CRASH_TRIALS sets the count (default 20; scripts/crash-soak-mariadb runs 200).

import { execa } from "execa";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { rng } from "./blklog.js";
import { buildMariadb, inserter, serverLog, sql, startVm, stopVm, uninode, waitReady, type Vm } from "../boot/mariadb-vm.js";

const TRIALS = Number(process.env["MARIADB_CRASH_TRIALS"] ?? 20);
const SEED = Number(process.env["CRASH_SEED"] ?? Date.now() % 100000);
const PASSWORD = "crash-pw";
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-mariadb-crash-"));
  await buildMariadb(work);
}, 600_000);

afterAll(async () => {
  if (!work) return;
  const names = Array.from({ length: TRIALS + 1 }, (_, t) => `crash${t}`);
  await uninode(work, ["rm", "-f", ...names]).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
});

/** The rows of crash.t: how many, the highest id, and how many at or below ID. */
async function rows(vm: Vm, upTo: number): Promise<{ count: number; max: number; below: number }> {
  const r = await sql(vm, PASSWORD, `SELECT COUNT(*), COALESCE(MAX(id), 0), SUM(id <= ${upTo}) FROM t`, { db: "crash" });
  if (r.exitCode !== 0) throw new Error(`SELECT failed: ${r.stderr}`);
  const [count, max, below] = r.stdout.trim().split("\t").map((x) => Number(x === "NULL" ? 0 : x));
  return { count: count!, max: max!, below: below! };
}

it(`keeps every acknowledged commit through ${TRIALS} kills of QEMU (seed ${SEED})`, async () => {
  const random = rng(SEED);
  expect((await uninode(work, ["volume", "create", "crashdb", "--size", "1G"])).exitCode).toBe(0);
  let vm = await startVm(work, "crash0", "crashdb", [`MARIADB_ROOT_PASSWORD=${PASSWORD}`]);
  await waitReady(work, vm, PASSWORD, 400_000);
  const made = await sql(vm, PASSWORD, "CREATE DATABASE crash; CREATE TABLE crash.t (id INT PRIMARY KEY, v VARCHAR(255)) ENGINE=InnoDB");
  expect(made.stderr).toBe("");

  let acked = 0;
  let recoveries = 0;
  const started = Date.now();
  for (let t = 0; t < TRIALS; t++) {
    const label = `trial ${t} (seed ${SEED})`;
    const before = await rows(vm, acked);
    // Every acknowledged row is there, and no row is missing below the highest.
    expect(before.below, `${label}: rows 1..${acked} acknowledged, found ${before.below}`).toBe(acked);
    expect(before.count, `${label}: ${before.count} rows up to id ${before.max}`).toBe(before.max);

    // Stream inserts; kill QEMU after 1 to 60 acknowledgements and a random part of a commit.
    const ins = inserter(vm, PASSWORD, "crash", before.max + 1, 20_000);
    await ins.waitAcks(1 + Math.floor(random() * 60));
    await sleep(Math.floor(random() * 200));
    try {
      process.kill(vm.pid, "SIGKILL");
    } catch {
      throw new Error(`${label}: the VM was gone before the kill:\n${await serverLog(work, vm)}`);
    }
    await ins.proc;
    expect(ins.acked(), `${label}: the client saw no commit`).toBeGreaterThan(before.max);
    acked = ins.acked();

    // The next boot recovers; it checks this trial and runs the next one.
    await sleep(300);
    vm = await startVm(work, `crash${t + 1}`, "crashdb");
    await waitReady(work, vm, PASSWORD);
    if (/InnoDB: Starting crash recovery/.test(await serverLog(work, vm))) recoveries++;
    await uninode(work, ["rm", "-f", `crash${t}`]);
  }
  const last = await rows(vm, acked);
  expect(last.below, `after the last trial: rows 1..${acked} acknowledged, found ${last.below}`).toBe(acked);
  expect(last.count).toBe(last.max);
  console.log(`${TRIALS} kills in ${Math.round((Date.now() - started) / 1000)} s: ${acked} commits acknowledged, ${last.count} rows kept, `
    + `InnoDB crash recovery at ${recoveries} boots`);
  await stopVm(work, vm);
  expect(await serverLog(work, vm)).toMatch(/mariadbd: Shutdown complete/);
  const fsck = await execa("/sbin/e2fsck", ["-fn", join(work, "data/uninode/volumes/crashdb/disk.img")], { reject: false, all: true });
  expect(fsck.exitCode, fsck.all).toBe(0);
}, 900_000 + TRIALS * 120_000);
