// `uninode volume` and the volume store: formatting with exactly the kernel's features (checked
// with e2fsprogs), seeding, sizes, names, the superblock check, locks, and what each bad input
// gets: one sentence, exit status 2 or 1, nothing changed.

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, chmodSync, openSync, writeSync, closeSync, utimesSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSuperblock } from "../../src/vm/superblock.js";
import { processStart, VolumeLock, volumeHolders } from "../../src/vm/volume-locks.js";
import { MIN_VOLUME_SIZE, VOLUME_MKE2FS_FEATURES, mke2fsArgs, parseVolumeSize, volumesDir } from "../../src/vm/volumes.js";
import { HELLO_C, compileC, runCli, tempDir } from "./helpers.js";

const tmp = tempDir();
const env = {
  XDG_DATA_HOME: path.join(tmp.dir, "data"),
  XDG_CACHE_HOME: path.join(tmp.dir, "cache"),
  XDG_STATE_HOME: path.join(tmp.dir, "state"),
};
const SBIN = "/usr/sbin:/sbin";
let sleeper: ChildProcess;
let hello: string;
let kernel: string;

beforeAll(() => {
  // A live process that is not this one: the holder of "another VM"'s lock.
  sleeper = spawn("sleep", ["600"], { stdio: "ignore" });
  hello = compileC(tmp.dir, "hello", HELLO_C);
  kernel = compileC(tmp.dir, "fake-kernel", "int main(void) { return 0; }\n", ["-static"]);
});
afterAll(() => {
  sleeper.kill();
  tmp.cleanup();
});

function cli(argv: string[], extra: NodeJS.ProcessEnv = {}) {
  return runCli(argv, tmp.dir, { ...env, UNINODE_KERNEL: kernel, ...extra });
}
const volFile = (name: string) => path.join(volumesDir(env), name, "disk.img");
const e2 = (tool: string, args: string[]) => execFileSync(path.join("/usr/sbin", tool), args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** Holds `name` as a detached VM called `vm` would: the lock names the sleeper process. */
async function holdAsOtherVm(name: string, vm: string | undefined, readOnly: boolean) {
  const start = await processStart(sleeper.pid!);
  return VolumeLock.take(name, path.join(volumesDir(env), name), { ...(vm !== undefined ? { vm } : {}), label: "mariadb", pid: sleeper.pid!, start: start!, readOnly });
}

describe("volume create", () => {
  it("formats with exactly the kernel's features: e2fsck -fn is clean, dumpe2fs shows ours and a journal", async () => {
    const o = await cli(["volume", "create", "dbdata", "--size", "64M"]);
    expect(o).toMatchObject({ status: 0, stdout: "dbdata\n", stderr: "" });
    const file = volFile("dbdata");
    e2("e2fsck", ["-fn", file]); // throws on a non-zero status
    const head = e2("dumpe2fs", ["-h", file]);
    expect(/^Filesystem features:\s+(.*)$/m.exec(head)![1]!.trim()).toBe("has_journal filetype sparse_super large_file");
    expect(/^Block size:\s+(\d+)/m.exec(head)![1]).toBe("4096");
    expect(/^Inode size:\s+(\d+)/m.exec(head)![1]).toBe("256");
    expect(/^Block count:\s+(\d+)/m.exec(head)![1]).toBe(String((64 * 1024 * 1024) / 4096));
    expect(/^Filesystem volume name:\s+(\S+)/m.exec(head)![1]).toBe("dbdata");
    expect(head).toMatch(/^Total journal size:\s+4096k$/m);
    expect(VOLUME_MKE2FS_FEATURES).toBe("none,has_journal,filetype,sparse_super,large_file");
  });

  it("is one mke2fs command, the one CONTRACT.md quotes", () => {
    expect(mke2fsArgs("site", "/v/disk.img", 1024 ** 3, "/seed").join(" ")).toBe(
      "-q -F -t ext4 -b 4096 -I 256 -O none,has_journal,filetype,sparse_super,large_file -E lazy_itable_init=0,lazy_journal_init=0 -d /seed -L site /v/disk.img 1048576k",
    );
    const contract = readFileSync(path.join(__dirname, "../../CONTRACT.md"), "utf8");
    expect(contract).toContain("mke2fs -q -F -t ext4 -b 4096 -I 256 -O none,has_journal,filetype,sparse_super,large_file -E lazy_itable_init=0,lazy_journal_init=0 [-d DIR] -L NAME FILE SIZE");
  });

  it("seeds from a directory with --from, and makes a sparse 1G volume by default", async () => {
    const seed = path.join(tmp.dir, "public");
    mkdirSync(path.join(seed, "css"), { recursive: true });
    writeFileSync(path.join(seed, "index.html"), "<h1>hi</h1>\n");
    writeFileSync(path.join(seed, "css", "a.css"), "body{}\n");
    const o = await cli(["volume", "create", "site", "--from", "./public", "--json"]);
    expect(o.status).toBe(0);
    const j = JSON.parse(o.stdout);
    expect(j).toMatchObject({ name: "site", size: 1024 ** 3, format: 1, attachedTo: [] });
    expect(j.filesystem).toMatchObject({ type: "ext4", blockSize: 4096, features: ["has_journal", "filetype", "sparse_super", "large_file"], uninodeVolume: true, needsRecovery: false });
    expect(j.allocated).toBeLessThan(128 * 1024 * 1024);
    expect(e2("debugfs", ["-R", "cat /css/a.css", volFile("site")])).toBe("body{}\n");
    expect(e2("debugfs", ["-R", "cat /index.html", volFile("site")])).toBe("<h1>hi</h1>\n");
    e2("e2fsck", ["-fn", volFile("site")]);
  });

  it("refuses bad input with one sentence and changes nothing", async () => {
    const before = readdirSync(volumesDir(env)).sort();
    const cases: [string[], number, RegExp][] = [
      [["volume", "create", "dbdata"], 1, /^uninode: A volume named dbdata exists already; choose another name, or remove it first \(uninode volume rm dbdata\)\.\n$/],
      [["volume", "create", "x"], 2, /^uninode: A volume name is letters, digits/],
      [["volume", "create", "../evil"], 2, /^uninode: A volume name is/],
      [["volume", "create", "ok1", "--size", "8M"], 2, /^uninode: --size 8M is below the smallest volume, 16M \(the journal needs room\); give 16M or more\.\n$/],
      [["volume", "create", "ok1", "--size", "lots"], 2, /^uninode: --size expects a size such as 512M/],
      [["volume", "create", "ok1", "--size", "16M", "--from", "./nope"], 1, /^uninode: --from .*nope is not a directory/],
      [["volume", "create"], 2, /takes one NAME/],
      [["volume", "ls", "--size", "1G"], 2, /^uninode: --size is not an option of 'uninode volume ls'\.\n$/],
      [["volume", "frob"], 2, /Unknown subcommand "frob"/],
      [["volume"], 2, /needs a subcommand/],
      [["volume", "rm", "site", "nope"], 1, /^uninode: There is no volume named nope; create it with `uninode volume create nope`/],
      [["volume", "inspect", "nope"], 1, /There is no volume named nope/],
    ];
    for (const [argv, status, stderr] of cases) {
      const o = await cli(argv);
      expect(o.status, argv.join(" ")).toBe(status);
      expect(o.stderr, argv.join(" ")).toMatch(stderr);
      expect(o.stdout, argv.join(" ")).toBe("");
    }
    expect(readdirSync(volumesDir(env)).sort()).toEqual(before);
    // rm checks every name first: site survived the typo next to it.
    expect(existsSync(volFile("site"))).toBe(true);
  });

  it("says when --from does not fit, and leaves nothing behind", async () => {
    const big = path.join(tmp.dir, "big");
    mkdirSync(big);
    writeFileSync(path.join(big, "blob"), Buffer.alloc(20 * 1024 * 1024, 1));
    const o = await cli(["volume", "create", "small", "--size", "16M", "--from", big]);
    expect(o.status).toBe(1);
    expect(o.stderr).toBe(`uninode: ${big} does not fit in a volume of 16 MiB; give a larger --size.\n`);
    expect(readdirSync(volumesDir(env)).filter((n) => n.includes("small"))).toEqual([]);
  });

  it("never takes over a directory in its way that holds no volume", async () => {
    const inWay = path.join(volumesDir(env), "inway");
    mkdirSync(inWay);
    writeFileSync(path.join(inWay, "keep"), "user data\n");
    const o = await cli(["volume", "create", "inway", "--size", "16M"]);
    expect(o.status).toBe(1);
    expect(o.stderr).toBe(`uninode: ${inWay} is in the way but holds no volume; move it aside or choose another name.\n`);
    expect(readFileSync(path.join(inWay, "keep"), "utf8")).toBe("user data\n");
    expect(readdirSync(volumesDir(env)).filter((n) => n.startsWith("."))).toEqual([]);
    expect((await cli(["volume", "ls", "--json"])).stdout).not.toContain("inway");
  });

  it("gives --json callers the error as JSON", async () => {
    const o = await cli(["volume", "inspect", "nope", "--json"]);
    expect(o.status).toBe(1);
    expect(JSON.parse(o.stdout)).toEqual({ error: { code: "NO_SUCH_VOLUME", message: expect.stringMatching(/^There is no volume named nope/) } });
  });

  it("parses sizes in binary units, in whole 4 KiB blocks", () => {
    expect(parseVolumeSize("2G")).toBe(2 * 1024 ** 3);
    expect(parseVolumeSize("512m")).toBe(512 * 1024 ** 2);
    expect(parseVolumeSize("1T")).toBe(1024 ** 4);
    expect(parseVolumeSize("16MiB")).toBe(MIN_VOLUME_SIZE);
    expect(parseVolumeSize("65536K")).toBe(64 * 1024 ** 2);
    expect(() => parseVolumeSize("16777217K")).toThrow(/not a whole number of 4 KiB blocks/);
    expect(() => parseVolumeSize("16T")).toThrow(/above the largest volume/);
  });
});

describe("the superblock check", () => {
  it("refuses a volume file that is not ext, or has features the kernel lacks, before QEMU starts", async () => {
    expect((await cli(["volume", "create", "bad1", "--size", "16M"])).status).toBe(0);
    expect((await cli(["volume", "create", "bad2", "--size", "16M"])).status).toBe(0);
    // bad1: the superblock's magic overwritten; bad2: reformatted as stock ext4 (extents, 64bit, ...).
    const fd = openSync(volFile("bad1"), "r+");
    writeSync(fd, Buffer.alloc(2), 0, 2, 1024 + 56);
    closeSync(fd);
    execFileSync("/usr/sbin/mke2fs", ["-q", "-F", "-t", "ext4", volFile("bad2"), "16M"], { stdio: "pipe" });
    const qemu = fakeQemu();
    let o = await cli(["run", "--accel", "tcg", "-v", "bad1:/data", "--exec", hello], { PATH: `${path.dirname(qemu.bin)}:${process.env["PATH"]}` });
    expect(o.status).toBe(1);
    expect(o.stderr).toMatch(/^uninode: .*bad1\/disk\.img \(the volume bad1\) is not an ext4 file system, so not a uninode volume; it may be damaged\.\n$/);
    o = await cli(["run", "--accel", "tcg", "-v", "bad2:/data", "--exec", hello], { PATH: `${path.dirname(qemu.bin)}:${process.env["PATH"]}` });
    expect(o.status).toBe(1);
    expect(o.stderr).toMatch(/^uninode: .*\(the volume bad2\) has ext4 features the kernel does not support \(.*extent.*\), so it is not a uninode volume\.\n$/);
    expect(qemu.ran()).toBe(false);
    const insp = JSON.parse((await cli(["volume", "inspect", "bad2", "--json"])).stdout);
    expect(insp.filesystem.uninodeVolume).toBe(false);
    expect(insp.filesystem.features).toContain("extent");
    expect((await cli(["volume", "rm", "bad1", "bad2"])).status).toBe(0);
  });

  it("reads the feature words and names what is foreign or missing", () => {
    const sb = Buffer.alloc(1024);
    sb.writeUInt16LE(0xef53, 56);
    sb.writeUInt32LE(0x4, 92);
    sb.writeUInt32LE(0x2 | 0x4, 96); // filetype, needs_recovery (state, allowed)
    sb.writeUInt32LE(0x3, 100);
    expect(parseSuperblock(sb)).toMatchObject({ foreign: [], needsRecovery: true, blockSize: 1024 });
    sb.writeUInt32LE(0x2 | 0x40, 96);
    sb.writeUInt32LE(0x0, 92);
    expect(parseSuperblock(sb)!.foreign).toEqual(["extent", "no has_journal"]);
    sb.writeUInt16LE(0, 56);
    expect(parseSuperblock(sb)).toBeUndefined();
  });
});

/** A qemu-system-x86_64 on PATH that only records that it ran: runs refused before QEMU never touch it. */
function fakeQemu() {
  const dir = path.join(tmp.dir, `fakeqemu-${Math.random().toString(16).slice(2)}`);
  mkdirSync(dir);
  const marker = path.join(dir, "ran");
  const bin = path.join(dir, "qemu-system-x86_64");
  writeFileSync(bin, `#!/bin/sh\ntouch '${marker}'\nexit 1\n`);
  chmodSync(bin, 0o755);
  return { bin, ran: () => existsSync(marker) };
}

describe("locks", () => {
  it("refuse a second read-write attachment before QEMU starts, naming the VM that holds it", async () => {
    const lock = await holdAsOtherVm("dbdata", "db-1", false);
    const qemu = fakeQemu();
    const p = { PATH: `${path.dirname(qemu.bin)}:${process.env["PATH"]}` };
    for (const v of ["dbdata:/var/lib/mysql", "dbdata:/var/lib/mysql:ro"]) {
      const o = await cli(["run", "--accel", "tcg", "-v", v, "--exec", hello], p);
      expect(o.status, v).toBe(1);
      expect(o.stderr, v).toMatch(/^uninode: The volume dbdata is in use \(read-write\) by the VM db-1; stop it first \(uninode stop db-1\): .*\.\n$/);
    }
    const rm = await cli(["volume", "rm", "site", "dbdata"]);
    expect(rm.status).toBe(1);
    expect(rm.stderr).toBe("uninode: The volume dbdata is in use by the VM db-1; stop it first.\n");
    expect(existsSync(volFile("dbdata"))).toBe(true);
    expect(existsSync(volFile("site"))).toBe(true); // named first, but nothing goes while one is in use
    const ls = await cli(["volume", "ls"]);
    expect(ls.stdout).toMatch(/^dbdata\s+64M\s+\S+\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+the VM db-1$/m);
    const insp = JSON.parse((await cli(["volume", "inspect", "dbdata", "--json"])).stdout);
    expect(insp.attachedTo).toEqual([{ vm: "db-1", image: "mariadb", pid: sleeper.pid, readOnly: false }]);
    expect(qemu.ran()).toBe(false);
    await lock.release();
    expect(await volumeHolders(path.join(volumesDir(env), "dbdata"))).toEqual([]);
  });

  it("let read-only attachments share, but not with a writer", async () => {
    const a = await holdAsOtherVm("site", "web-1", true);
    const b = await holdAsOtherVm("site", undefined, true);
    expect((await volumeHolders(path.join(volumesDir(env), "site"))).length).toBe(2);
    const qemu = fakeQemu();
    const p = { PATH: `${path.dirname(qemu.bin)}:${process.env["PATH"]}` };
    const o = await cli(["run", "--accel", "tcg", "-v", "site:/www", "--exec", hello], p);
    expect(o.status).toBe(1);
    expect(o.stderr).toMatch(/^uninode: The volume site is in use \(read-only\) by (the VM web-1; stop it first \(uninode stop web-1\)|`uninode run mariadb` \(pid \d+\); wait for it to end): only one VM may attach a volume read-write, and with no other VM\.\n$/);
    // A :ro run gets past the lock and reaches QEMU (the fake one, which fails).
    const ro = await cli(["run", "--accel", "tcg", "-v", "site:/www:ro", "--exec", hello], p);
    expect(qemu.ran()).toBe(true);
    expect(ro.stderr).not.toMatch(/in use/);
    // ... and its lock went with it.
    expect((await volumeHolders(path.join(volumesDir(env), "site"))).length).toBe(2);
    await a.release();
    await b.release();
  });

  it("treat a lock whose process is gone as stale", async () => {
    const dead = spawn("true");
    await new Promise((r) => dead.on("exit", r));
    const dir = path.join(volumesDir(env), "site");
    mkdirSync(path.join(dir, "locks"), { recursive: true });
    writeFileSync(path.join(dir, "locks", `${dead.pid}-0000.lock`), JSON.stringify({ vm: "gone", label: "x", pid: dead.pid, start: "1", readOnly: false }));
    // A live pid whose start time differs is a reused pid, not the holder.
    writeFileSync(path.join(dir, "locks", `${sleeper.pid}-0001.lock`), JSON.stringify({ vm: "reused", label: "x", pid: sleeper.pid, start: "1", readOnly: false }));
    // A lock whose writer died before renaming it into place: ignored, and removed once old.
    const tmpLock = path.join(dir, "locks", "1-0002.lock.tmp");
    writeFileSync(tmpLock, "{");
    expect(await volumeHolders(dir)).toEqual([]);
    expect(readdirSync(path.join(dir, "locks"))).toEqual(["1-0002.lock.tmp"]);
    utimesSync(tmpLock, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    expect(await volumeHolders(dir)).toEqual([]);
    expect(readdirSync(path.join(dir, "locks"))).toEqual([]);
    const lock = await VolumeLock.take("site", dir, { label: "me", pid: process.pid, start: (await processStart(process.pid))!, readOnly: false });
    await lock.release();
  });

  it("refuse an unknown volume with how to create it, and a missing host directory", async () => {
    let o = await cli(["run", "--accel", "tcg", "-v", "nosuch:/data", "--exec", hello]);
    expect(o.status).toBe(1);
    expect(o.stderr).toBe("uninode: There is no volume named nosuch; create it with `uninode volume create nosuch` (`uninode volume ls` lists them).\n");
    mkdirSync(path.join(tmp.dir, "uploads"));
    o = await cli(["run", "--accel", "tcg", "-v", "uploads:/data", "--exec", hello]);
    expect(o.stderr).toBe("uninode: There is no volume named uploads; create it with `uninode volume create uploads` (`uninode volume ls` lists them); to share the directory uploads instead, write ./uploads.\n");
    o = await cli(["run", "--accel", "tcg", "-v", "./nodir:/data", "--exec", hello]);
    expect(o.status).toBe(1);
    expect(o.stderr).toBe(`uninode: The host directory ${path.join(tmp.dir, "nodir")} (for /data) does not exist; create it first (mkdir -p ${path.join(tmp.dir, "nodir")}).\n`);
    o = await cli(["run", "--accel", "tcg", "-v", "site:data", "--exec", hello]);
    expect(o.status).toBe(2);
    expect(o.stderr).toBe('uninode: -v "site:data": the mount point must be an absolute path such as /data.\n');
  });
});

describe("a volume whose journal waits to be replayed", () => {
  it("is refused read-only (the kernel could not replay it) but not read-write", async () => {
    expect((await cli(["volume", "create", "dirty", "--size", "16M"])).status).toBe(0);
    // Set needs_recovery (incompat 0x4) as a VM killed while it had the volume mounted leaves it.
    const fd = openSync(volFile("dirty"), "r+");
    const word = Buffer.alloc(4);
    const sb = readFileSync(volFile("dirty")).subarray(1024, 2048);
    word.writeUInt32LE(sb.readUInt32LE(96) | 0x4);
    writeSync(fd, word, 0, 4, 1024 + 96);
    closeSync(fd);
    const qemu = fakeQemu();
    const p = { PATH: `${path.dirname(qemu.bin)}:${process.env["PATH"]}` };
    const ro = await cli(["run", "--accel", "tcg", "-v", "dirty:/d:ro", "--exec", hello], p);
    expect(ro.status).toBe(1);
    expect(ro.stderr).toBe("uninode: The volume dirty was not unmounted cleanly and its journal must be replayed, which a read-only attachment cannot do; attach it read-write once (-v dirty:/d), then :ro works.\n");
    expect(qemu.ran()).toBe(false);
    expect(await volumeHolders(path.join(volumesDir(env), "dirty"))).toEqual([]);
    await cli(["run", "--accel", "tcg", "-v", "dirty:/d", "--exec", hello], p);
    expect(qemu.ran()).toBe(true);
    expect(JSON.parse((await cli(["volume", "inspect", "--json", "dirty"])).stdout).filesystem.needsRecovery).toBe(true);
    expect((await cli(["volume", "inspect", "dirty"])).stdout).toContain("\njournal   waits to be replayed (its VM stopped without unmounting it); attach it read-write once\n");
  });
});

describe("volume rm", () => {
  it("removes a volume no VM uses, without asking", async () => {
    expect((await cli(["volume", "create", "tmp1", "--size", "16M"])).status).toBe(0);
    const o = await cli(["volume", "rm", "tmp1", "--json"]);
    expect(o).toMatchObject({ status: 0, stdout: '{"removed":["tmp1"]}\n' });
    expect(existsSync(path.join(volumesDir(env), "tmp1"))).toBe(false);
    expect(readdirSync(volumesDir(env)).filter((n) => n.startsWith("."))).toEqual([]);
  });
});
