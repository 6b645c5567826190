// The bench's pieces as data: the cpio writer, module dependencies, parsers, statistics,
// QEMU command lines and the DHCP answers for the tap namespace.

import { readFileSync, writeFileSync, mkdirSync, symlinkSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cpioHeader, completeTree, treeEntries, writeCpio } from "../../bench/cpio.js";
import { broadcastOf, maskOf, reply, requestType } from "../../bench/dhcp.js";
import { modinfoDepends, parseBuiltin, parseDependsOutput } from "../../bench/linux-kernel.js";
import { SAMPLE_SLAP, SAMPLE_WRK } from "../../bench/main.js";
import { parseSlap, slapArgs } from "../../bench/mariadb.js";
import { nonZeroPages, parseWrk, parseWrkDuration, summarize } from "../../bench/measure.js";
import { describeLoad, judgeLoad, lastLine, parseMemReading, parseProbeMeminfo, parseSyscallOutput } from "../../bench/phases.js";
import type { Prepared } from "../../bench/setup.js";
import { storageArgs } from "../../bench/setup.js";
import { countLogFlushes, parseStorageOutput, syncCalls } from "../../bench/storage.js";
import { guestFor } from "../../bench/targets.js";
import { microvmCmdline, vmArgs, withoutRootDisk } from "../../bench/vm.js";
import { tempDir } from "./helpers.js";

/** Reads a newc archive back: [name, mode, data] per entry, up to the trailer. */
function readCpio(buf: Buffer): [string, number, Buffer][] {
  const out: [string, number, Buffer][] = [];
  let off = 0;
  const align = (n: number) => (n + 3) & ~3;
  for (;;) {
    expect(buf.toString("latin1", off, off + 6)).toBe("070701");
    const field = (i: number) => parseInt(buf.toString("latin1", off + 6 + i * 8, off + 14 + i * 8), 16);
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    const name = buf.toString("utf8", off + 110, off + 110 + nameSize - 1);
    const dataStart = align(off + 110 + nameSize);
    if (name === "TRAILER!!!") return out;
    out.push([name, mode, buf.subarray(dataStart, dataStart + size)]);
    off = align(dataStart + size);
  }
}

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

describe("cpio newc writer", () => {
  it("pads headers and names to four bytes", () => {
    const h = cpioHeader("init", { ino: 1, mode: 0o100755, nlink: 1, size: 3 });
    expect(h.length % 4).toBe(0);
    expect(h.toString("latin1", 0, 6)).toBe("070701");
    expect(h.toString("latin1", 110, 114)).toBe("init");
  });

  it("adds parent directories, sorted before their contents", () => {
    const t = completeTree([{ kind: "data", path: "/etc/bench/boot", mode: 0o644, data: Buffer.from("x") }]);
    expect(t.map((e) => e.path)).toEqual(["etc", "etc/bench", "etc/bench/boot"]);
  });

  it("writes a tree that reads back with files, symlinks and device nodes", async () => {
    const t = tempDir("bench-cpio-");
    cleanup = t.cleanup;
    mkdirSync(path.join(t.dir, "tree", "app"), { recursive: true });
    writeFileSync(path.join(t.dir, "tree", "app", "a.js"), "hello");
    symlinkSync("a.js", path.join(t.dir, "tree", "app", "b.js"));
    const entries = await treeEntries(path.join(t.dir, "tree"));
    entries.push({ kind: "chardev", path: "dev/console", mode: 0o600, major: 5, minor: 1 });
    const file = path.join(t.dir, "x.cpio");
    const size = await writeCpio(file, entries);
    const buf = readFileSync(file);
    expect(buf.length).toBe(size);
    const read = readCpio(buf);
    expect(read.map(([n]) => n)).toEqual(["app", "app/a.js", "app/b.js", "dev", "dev/console"]);
    const byName = new Map(read.map(([n, m, d]) => [n, { m, d }]));
    expect(byName.get("app/a.js")?.d.toString()).toBe("hello");
    expect(byName.get("app/b.js")!.m & 0o170000).toBe(0o120000);
    expect(byName.get("app/b.js")?.d.toString()).toBe("a.js");
    expect(byName.get("dev/console")!.m & 0o170000).toBe(0o020000);
  });
});

describe("the cloud kernel's modules", () => {
  it("reads depends= from .modinfo", () => {
    const ko = Buffer.from("\x7fELF....\0license=GPL\0depends=virtio_ring,virtio,net-failover\0retpoline=Y\0", "latin1");
    expect(modinfoDepends(ko)).toEqual(["virtio_ring", "virtio", "net_failover"]);
    expect(modinfoDepends(Buffer.from("\0depends=\0", "latin1"))).toEqual([]);
    expect(modinfoDepends(Buffer.from("nothing"))).toEqual([]);
  });

  it("reads which modules a kernel builds in", () => {
    const b = parseBuiltin("kernel/fs/ext4/ext4.ko\nkernel/crypto/crc32c_generic.ko\nkernel/drivers/net/net-failover.ko\n\n");
    expect([...b].sort()).toEqual(["crc32c_generic", "ext4", "net_failover"]);
    expect(parseBuiltin("").size).toBe(0);
  });

  it("finds the real package behind the metapackage", () => {
    expect(parseDependsOutput("linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-56-cloud-amd64\n")).toBe("linux-image-6.1.0-56-cloud-amd64");
    expect(parseDependsOutput("")).toBeUndefined();
  });
});

describe("parsers and statistics", () => {
  it("reads wrk --latency", () => {
    const r = parseWrk(SAMPLE_WRK);
    expect(r).toEqual({
      requestsPerSec: 4860,
      p50Ms: 10.01,
      p99Ms: 20.3,
      requests: 24300,
      errors: 0,
      socket: { connect: 0, read: 0, write: 0, timeout: 0 },
      non2xx: 0,
    });
    expect(parseWrkDuration("850.00us")).toBeCloseTo(0.85);
    expect(parseWrkDuration("1.50s")).toBe(1500);
    const withErrors = `${SAMPLE_WRK}  Socket errors: connect 1, read 3, write 0, timeout 2\n  Non-2xx or 3xx responses: 4\n`;
    const e = parseWrk(withErrors);
    expect(e.errors).toBe(10);
    expect(e.socket).toEqual({ connect: 1, read: 3, write: 0, timeout: 2 });
    expect(e.non2xx).toBe(4);
    expect(parseWrk(`${SAMPLE_WRK}  Non-2xx or 3xx responses: 7\n`)).toMatchObject({ errors: 7, non2xx: 7, socket: { timeout: 0 } });
    expect(() => parseWrk("unable to connect")).toThrow(/no latency/);
  });

  it("summarizes samples", () => {
    expect(summarize([3, 1, 2])).toEqual({ n: 3, median: 2, min: 1, max: 3 });
    expect(summarize([4, 1, 2, 3])?.median).toBe(2.5);
    expect(summarize([])).toBeUndefined();
  });

  it("reads the syscall program's lines and a failed program's last words", () => {
    expect(parseSyscallOutput("getppid 10000000 101.5\nclock_gettime 1000000 22.0\n")).toEqual({ getppid: 101.5, clock: 22 });
    expect(parseSyscallOutput("")).toEqual({});
    expect(lastLine("[    2.4] Run /init\nexpress-hello cannot listen on port 3000: ENOSYS\n\n")).toBe("express-hello cannot listen on port 3000: ENOSYS");
  });

  it("reads the probe's meminfo line", () => {
    expect(parseProbeMeminfo("express-hello listening\nbench-probe meminfo total=1000 free=400 available=700 rss=50\n")).toEqual({
      usedKiB: 600,
      unavailableKiB: 300,
      rssKiB: 50,
    });
    expect(parseProbeMeminfo("bench-probe meminfo unavailable: ENOENT")).toBeUndefined();
  });

  it("reads the serve probe's meminfo answer", () => {
    expect(parseMemReading('{"total":1000,"free":400,"available":700,"rss":50,"heapUsed":9,"unit":"KiB"}')).toEqual({
      totalKiB: 1000,
      freeKiB: 400,
      availableKiB: 700,
      rssKiB: 50,
      heapUsedKiB: 9,
    });
    expect(parseMemReading('{"total":1000,"free":null,"available":700,"rss":50}')).toBeUndefined();
    expect(parseMemReading('{"error":"ENOENT"}')).toBeUndefined();
    expect(parseMemReading("Hello from uninode")).toBeUndefined();
  });

  it("judges the load run's three conditions", () => {
    const clean = parseWrk(SAMPLE_WRK);
    const mem = (free: number, rss = 50_000) => ({ totalKiB: 500_000, freeKiB: free, availableKiB: free, rssKiB: rss, heapUsedKiB: 0 });
    // Guest used 100,000 → 104,000 KiB: +4 %, within 5 %.
    const ok = judgeLoad(clean, clean, mem(400_000), mem(396_000), "guest-used");
    expect(ok.pass).toEqual({ socket: true, non2xx: true, memory: true });
    expect(ok.driftPct).toBeCloseTo(4);
    expect(describeLoad(ok)).toMatch(/socket errors 0 PASS; non-2xx 0 PASS; MemTotal−MemFree 97\.7 → 101\.6 MiB \(\+4\.0 %\) PASS/);
    // +6 % fails; so does −6 % (the bar is "within 5 % of before", either way).
    expect(judgeLoad(clean, clean, mem(400_000), mem(394_000), "guest-used").pass.memory).toBe(false);
    expect(judgeLoad(clean, clean, mem(400_000), mem(406_000), "guest-used").pass.memory).toBe(false);
    // The host's check is node's RSS, whatever the machine's MemFree does.
    expect(judgeLoad(clean, clean, mem(400_000, 50_000), mem(100_000, 51_000), "rss").pass.memory).toBe(true);
    const bad = parseWrk(`${SAMPLE_WRK}  Socket errors: connect 0, read 0, write 0, timeout 3\n  Non-2xx or 3xx responses: 1\n`);
    expect(judgeLoad(clean, bad, mem(400_000), mem(400_000), "guest-used").pass).toEqual({ socket: false, non2xx: false, memory: true });
    // Warm-up errors are reported but not judged.
    expect(judgeLoad(bad, clean, mem(400_000), mem(400_000), "guest-used").pass.socket).toBe(true);
  });

  it("counts guest pages that are not all zero", () => {
    const b = Buffer.alloc(4096 * 4);
    b[5] = 1;
    b[4096 * 3 + 4095] = 7;
    expect(nonZeroPages(b)).toBe(2);
  });
});

describe("QEMU command lines", () => {
  const o = { memory: "512M", accel: "tcg" as const, workDir: "/w", net: { kind: "user" as const, forwards: [] } };

  it("gives both VMs the same machine; the microVM has an initramfs instead of the disk", () => {
    const uni = vmArgs({ target: "uninode", kernel: "k.elf", cmdline: "stdin=null", root: { file: "a.img", offset: 4096, size: 8192 } }, o);
    const mvm = vmArgs({ target: "linux-microvm", kernel: "vmlinuz", cmdline: microvmCmdline("10.0.2.15/24,10.0.2.2"), initrd: "a.cpio" }, o);
    const common = (a: string[]) => a.slice(0, a.indexOf("-kernel"));
    expect(common(mvm)).toEqual(common(uni));
    expect(uni).toContain("virtio-blk-pci,drive=root");
    expect(mvm.join(" ")).not.toContain("virtio-blk");
    expect(mvm.join(" ")).toContain("-initrd a.cpio");
    expect(mvm).toContain("console=ttyS0 quiet panic=-1 benchnet=10.0.2.15/24,10.0.2.2");
    for (const a of [uni, mvm]) expect(a).toContain("virtio-net-pci,netdev=net0");
  });

  it("adds -icount, the plugin and a tap on request", () => {
    const a = vmArgs({ target: "uninode", kernel: "k", cmdline: "", root: { file: "a.img", offset: 0, size: 1 } }, {
      ...o,
      icount: true,
      plugin: { so: "/p/insn.so", out: "/o/n,1" },
      net: { kind: "tap", ifname: "bt0" },
    });
    expect(a.join(" ")).toContain("-icount shift=0,sleep=off -plugin /p/insn.so,out=/o/n,,1");
    expect(a.join(" ")).toContain("-netdev tap,id=net0,ifname=bt0,script=no,downscript=no");
  });

  it("drops only the root disk", () => {
    expect(withoutRootDisk(["-m", "1", "-blockdev", "driver=raw,node-name=root", "-device", "virtio-blk-pci,drive=root", "-device", "isa-debug-exit"])).toEqual([
      "-m",
      "1",
      "-device",
      "isa-debug-exit",
    ]);
  });
});

describe("the storage phase", () => {
  const plan = { fsyncs: 200, seqMiB: 64, randSync: 500, randBuffered: 4096, seconds: 60, volumeMiB: 256 };

  it("passes the plan's counts to the program", () => {
    expect(storageArgs("write", "/data", plan)).toEqual(["write", "/data", "200", "64", "500", "4096", "60"]);
    expect(storageArgs("read", "/data", plan)).toEqual(["read", "/data"]);
    expect(storageArgs("read", "/t", plan, true)).toEqual(["read", "/t", "drop"]);
  });

  it("reads the program's lines, and its error", () => {
    const out = [
      "storage fsync n=200 median_us=647.7 p99_us=20910.0 max_us=28452.5",
      "storage seq_write mib=64 sec=0.0419 mib_per_s=763.40",
      "storage rand_sync n=180 sec=60.0010 iops=3.0",
      "storage rand_buffered n=4096 sec=0.0478 iops=41871.7",
      "",
    ].join("\r\n");
    expect(parseStorageOutput(out)).toEqual({
      write: { fsyncs: 200, fsyncMedianUs: 647.7, fsyncP99Us: 20910, seqWriteMiB: 64, seqWriteMiBps: 763.4, randSyncOps: 180, randSyncIops: 3, randBufferedOps: 4096, randBufferedIops: 41871.7 },
    });
    expect(parseStorageOutput("storage seq_read mib=64.00 sec=0.5 mib_per_s=128.00\n")).toEqual({ read: { mib: 64, mibps: 128 } });
    // Three of four figures are not a result.
    const partial = parseStorageOutput(out.split("\r\n").slice(0, 3).join("\n") + "\nstorage error fdatasync: Input/output error\n");
    expect(partial.write).toBeUndefined();
    expect(partial.error).toBe("fdatasync: Input/output error");
  });

  it("counts the flushes in a blklogwrites log and the program's sync calls", () => {
    const sector = 512;
    const entry = (at: number, flags: number, n: number) => {
      const h = Buffer.alloc(sector);
      h.writeBigUInt64LE(BigInt(at), 0);
      h.writeBigUInt64LE(BigInt(n), 8);
      h.writeBigUInt64LE(BigInt(flags), 16);
      return Buffer.concat([h, Buffer.alloc(flags & 4 ? 0 : n * sector, 0xab)]);
    };
    const sb = Buffer.alloc(sector);
    sb.writeBigUInt64LE(0x6a736677736872n, 0);
    sb.writeBigUInt64LE(1n, 8);
    sb.writeUInt32LE(sector, 24);
    // A write of 8 sectors, a flush, a discard of 100 sectors (no data), a FUA write with a
    // preflush, a plain write, and the zeroes past the end of the log.
    const log = Buffer.concat([sb, entry(8, 0, 8), entry(0, 1, 0), entry(64, 4, 100), entry(16, 1 | 2, 1), entry(24, 0, 2), Buffer.alloc(sector * 3)]);
    expect(countLogFlushes(log)).toBe(2);
    expect(countLogFlushes(Buffer.alloc(4096))).toBeUndefined();
    const w = { fsyncs: 50, fsyncMedianUs: 1, fsyncP99Us: 1, seqWriteMiB: 16, seqWriteMiBps: 1, randSyncOps: 100, randSyncIops: 1, randBufferedOps: 1024, randBufferedIops: 1 };
    expect(syncCalls(w)).toBe(154);
  });

  it("attaches the volume as run -v does: vdb after uninode's root, vda in the microVM, which mounts it", () => {
    const w = { image: { path: "i.img", header: { sections: { rootfs: { offset: 4096, size: 8192 } } } }, uninodeKernel: "k.elf", initramfs: { file: "s.cpio" } };
    const p = { linux: { vmlinuz: "vmlinuz" }, workloads: { "storage-write": w } } as unknown as Prepared;
    const uni = guestFor("uninode", "storage-write", p, { kind: "none" }, "/v/disk.img");
    const mvm = guestFor("linux-microvm", "storage-write", p, { kind: "none" }, "/v/disk.img");
    expect(uni.cmdline).toBe("stdin=null mount=ext4:vdb:/data");
    expect(mvm.cmdline).toBe("console=ttyS0 quiet panic=-1 benchdisk=vda:/data");
    const o = { memory: "512M", accel: "tcg" as const, workDir: "/w" };
    const disk = (a: string[]) => a.slice(a.findIndex((x) => x.includes("node-name=vol0")) - 1, a.indexOf("virtio-blk-pci,drive=vol0,write-cache=on") + 1);
    const [ua, ma] = [vmArgs(uni, o), vmArgs(mvm, o)];
    expect(disk(ua)).toEqual(disk(ma));
    expect(disk(ua).join(" ")).toContain("file.filename=/v/disk.img,cache.direct=off,cache.no-flush=off");
    // The microVM's only disk is the volume; uninode's root comes first.
    expect(ma.filter((x) => x.startsWith("virtio-blk"))).toEqual(["virtio-blk-pci,drive=vol0,write-cache=on"]);
    expect(ua.filter((x) => x.startsWith("virtio-blk"))).toEqual(["virtio-blk-pci,drive=root", "virtio-blk-pci,drive=vol0,write-cache=on"]);
    expect(guestFor("uninode", "storage-write", p, { kind: "none" }).cmdline).toBe("stdin=null");
    // The MariaDB phase mounts its volume where the image keeps its data directory.
    expect(guestFor("uninode", "storage-write", p, { kind: "none" }, "/v/disk.img", undefined, "/var/lib/mysql").cmdline).toBe("stdin=null mount=ext4:vdb:/var/lib/mysql");
    expect(guestFor("linux-microvm", "storage-write", p, { kind: "none" }, "/v/disk.img", undefined, "/var/lib/mysql").cmdline).toBe("console=ttyS0 quiet panic=-1 benchdisk=vda:/var/lib/mysql");
  });
});

describe("the MariaDB phase's mysqlslap", () => {
  it("asks for the read-write mix at the plan's clients and queries, and reads its report", () => {
    const a = slapArgs(4321, { clients: 8, queries: 2000, volumeMiB: 512 });
    expect(a).toContain("-P4321");
    expect(a).toContain("--concurrency=8");
    expect(a).toContain("--number-of-queries=2000");
    expect(a).toContain("--auto-generate-sql-load-type=mixed");
    expect(a).toContain("--engine=innodb");
    expect(parseSlap(SAMPLE_SLAP, 2000)).toEqual({ seconds: 12.345, clients: 8, queries: 2000 });
    expect(parseSlap("mysqlslap: Error when connecting to server: 2013 Lost connection\n", 2000)).toBeUndefined();
  });
});

describe("DHCP for the tap namespace", () => {
  const cfg = { server: "10.77.0.1", client: "10.77.0.2", prefix: 24 };
  const discover = () => {
    const b = Buffer.alloc(244);
    b[0] = 1;
    b.writeUInt32BE(0xdeadbeef, 4);
    Buffer.from([0x52, 0x54, 0, 0x12, 0x34, 0x56]).copy(b, 28);
    b.writeUInt32BE(0x63825363, 236);
    Buffer.from([53, 1, 1, 255]).copy(b, 240);
    return b;
  };

  it("answers a DISCOVER with an OFFER of the one address", () => {
    expect(requestType(discover())).toBe(1);
    const r = reply(discover(), 2, cfg);
    expect(r[0]).toBe(2);
    expect(r.readUInt32BE(4)).toBe(0xdeadbeef);
    expect([...r.subarray(16, 20)]).toEqual([10, 77, 0, 2]);
    expect([...r.subarray(28, 34)]).toEqual([0x52, 0x54, 0, 0x12, 0x34, 0x56]);
    expect([...r.subarray(240, 243)]).toEqual([53, 1, 2]);
    expect(r.at(-1)).toBe(255);
  });

  it("computes masks and broadcasts", () => {
    expect(maskOf(24)).toBe("255.255.255.0");
    expect(broadcastOf("10.77.0.2", 24)).toBe("10.77.0.255");
    expect(requestType(Buffer.alloc(10))).toBeUndefined();
  });
});
