// apps/mariadb end to end (issue 11): Debian's mariadbd on a volume, initialised on its first boot
// from the environment, used by the host's `mariadb` client, stopped cleanly and started again with
// its data; and the entrypoint's refusals, one sentence each. Boots under QEMU (TCG here): the
// first boot initialises the data directory in about 20-60 s, later boots start in about 10 s.

import { execa } from "execa";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TAG, buildMariadb, serverLog, sql, startVm, stopVm, uninode, waitReady } from "./mariadb-vm.js";

let work: string;
const PASSWORD = "s3'cr\\et pw";

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-mariadb-"));
  await buildMariadb(work);
}, 600_000);

afterAll(async () => {
  if (!work) return;
  await uninode(work, ["rm", "-f", "db-first", "db-second"]).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
});

describe("MariaDB on a volume", () => {
  it("initialises an empty volume, keeps 10,000 rows through stop and run, refuses a wrong password", async () => {
    expect((await uninode(work, ["volume", "create", "dbdata", "--size", "1G"])).exitCode).toBe(0);
    const vm = await startVm(work, "db-first", "dbdata", [
      `MARIADB_ROOT_PASSWORD=${PASSWORD}`, "MARIADB_DATABASE=app_db", "MARIADB_USER=app", "MARIADB_PASSWORD=app pw",
    ]);
    const initMs = await waitReady(work, vm, PASSWORD, 400_000);
    console.log(`first boot (initialisation) answered after ${initMs} ms`);
    expect(await serverLog(work, vm)).toMatch(/^mariadb-entrypoint: initialising an empty data directory on \/var\/lib\/mysql for MariaDB \d+\.\d+;/m);

    // The user of MARIADB_USER owns MARIADB_DATABASE, and nothing else.
    const dbs = await sql(vm, "app pw", "SHOW DATABASES", { user: "app" });
    expect(dbs.stdout.split("\n").sort()).toEqual(["app_db", "information_schema"]);

    // 10,000 rows in 10 transactions of 1,000, through the app user.
    const batches: string[] = ["CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(64), n BIGINT) ENGINE=InnoDB;"];
    for (let b = 0; b < 10; b++) {
      const rows = Array.from({ length: 1000 }, (_, i) => { const id = b * 1000 + i + 1; return `(${id}, 'item ${id}', ${id * 7})`; });
      batches.push(`START TRANSACTION; INSERT INTO items VALUES ${rows.join(", ")}; COMMIT;`);
    }
    const load = await sql(vm, "app pw", "", { user: "app", db: "app_db", input: batches.join("\n") });
    expect(load.stderr).toBe("");
    expect(load.exitCode).toBe(0);
    const expected = "10000\t350035000\titem 9999";
    const read = () => sql(vm, PASSWORD, "SELECT COUNT(*), SUM(n), (SELECT name FROM items WHERE id = 9999) FROM items", { db: "app_db" });
    expect((await read()).stdout).toBe(expected);

    const wrong = await sql(vm, "not the password", "SELECT 1");
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toMatch(/ERROR 1045 \(28000\).*Access denied for user 'root'/);

    const stopMs = await stopVm(work, vm);
    console.log(`stop took ${stopMs} ms`);
    const log = await serverLog(work, vm);
    expect(log).toMatch(/\[Note\] Shutdown completed; log sequence number \d+/); // InnoDB's clean shutdown
    expect(log).toMatch(/mariadbd: Shutdown complete/);
    expect(stopMs).toBeLessThan(60_000); // SIGTERM ended it: the grace period (120 s) did not

    // Run again, without the first boot's environment: the data is there, the password holds.
    const again = await startVm(work, "db-second", "dbdata");
    const bootMs = await waitReady(work, again, PASSWORD);
    console.log(`second boot answered after ${bootMs} ms`);
    const log2 = await serverLog(work, again);
    expect(log2).not.toMatch(/initialising/);
    expect(log2).not.toMatch(/crash recovery/i);
    const back = await sql(again, PASSWORD, "SELECT COUNT(*), SUM(n), (SELECT name FROM items WHERE id = 9999) FROM items", { db: "app_db" });
    expect(back.stdout).toBe(expected);
    expect((await sql(again, "", "SELECT 1")).exitCode).toBe(1);
    await stopVm(work, again);

    const fsck = await execa("/sbin/e2fsck", ["-fn", join(work, "data/uninode/volumes/dbdata/disk.img")], { reject: false, all: true });
    expect(fsck.exitCode, fsck.all).toBe(0);
  }, 900_000);
});

describe("the entrypoint's refusals", () => {
  /** Run the image in the foreground with VOLUME; its exit status and stderr. */
  async function runWith(volume: string, env: string[] = []) {
    const r = await uninode(work, ["run", "--timeout", "300", "-v", `${volume}:/var/lib/mysql`, ...env.flatMap((e) => ["-e", e]), TAG]);
    return { code: r.exitCode, stderr: r.stderr };
  }

  it("an empty volume without a root password option", async () => {
    await uninode(work, ["volume", "create", "nopw", "--size", "64M"]);
    const r = await runWith("nopw", ["MARIADB_DATABASE=x"]);
    expect(r.stderr).toBe("mariadb-entrypoint: the data directory on /var/lib/mysql is uninitialised and no root password option is given; "
      + "run with -e MARIADB_ROOT_PASSWORD=..., -e MARIADB_RANDOM_ROOT_PASSWORD=1 or -e MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1.");
    expect(r.code).toBe(1);
  }, 300_000);

  it("a data directory of another MariaDB version", async () => {
    const seed = join(work, "seed-other");
    await mkdir(join(seed, "mysql"), { recursive: true });
    await writeFile(join(seed, "mysql_upgrade_info"), "10.6.12-MariaDB");
    await uninode(work, ["volume", "create", "other", "--size", "64M", "--from", seed]);
    const r = await runWith("other", ["MARIADB_ROOT_PASSWORD=x"]);
    expect(r.stderr).toMatch(/^mariadb-entrypoint: the data directory on \/var\/lib\/mysql was initialised by MariaDB 10\.6 and this image runs MariaDB (\d+\.\d+); run it with a MariaDB 10\.6 image \(upgrading needs mariadb-upgrade there\), or attach an empty volume\.$/);
    expect(r.code).toBe(1);
  }, 300_000);

  it("a half-initialised data directory (a first boot that was stopped)", async () => {
    const seed = join(work, "seed-half");
    await mkdir(join(seed, "mysql"), { recursive: true });
    await writeFile(join(seed, "uninode-initialising"), "A first boot ...\n");
    await writeFile(join(seed, "ibdata1"), Buffer.alloc(4096));
    await uninode(work, ["volume", "create", "half", "--size", "64M", "--from", seed]);
    const r = await runWith("half", ["MARIADB_ROOT_PASSWORD=x"]);
    expect(r.stderr).toBe("mariadb-entrypoint: the data directory on /var/lib/mysql is half-initialised: a first boot stopped before it finished, "
      + "and nothing was deleted; attach a new empty volume (or empty this one if its data is disposable) and boot again.");
    expect(r.code).toBe(1);
    // Nothing was deleted.
    const ls = await execa("/sbin/debugfs", ["-R", "ls /", join(work, "data/uninode/volumes/half/disk.img")], { reject: false });
    expect(ls.stdout).toMatch(/ibdata1/);
    expect(ls.stdout).toMatch(/uninode-initialising/);
  }, 300_000);
});
