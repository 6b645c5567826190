// The bench's own code runs (`npm run bench -- --quick --dry-run`): argument building, the
// cpio writer, the parsers, one host run of `node -e` and the report. Nothing about speed is
// asserted; the real bench is `npm run bench`.

import { describe, expect, it } from "vitest";
import { parseBenchArgs, planFor, runBench, scrubPaths } from "../../bench/main.js";
import { mergeResults, renderTable } from "../../bench/report.js";

describe("bench --quick --dry-run", () => {
  it("runs its code paths and renders one table", async () => {
    const lines: string[] = [];
    const r = await runBench({ quick: true, dryRun: true, log: (s) => lines.push(s) });
    expect(r.dryRun).toBe(true);
    expect(r.mode).toBe("quick");
    expect(r.nodeE?.host).toHaveProperty("ok");
    expect(r.machine.nproc).toBeGreaterThan(0);
    const table = renderTable(r);
    expect(table.split("\n")[0]).toBe("| measurement | host | linux-microvm | uninode |");
    expect(table).toContain("n/a (dry run)");
    // The load run went through the real serve probe on the host: both meminfo reads answered.
    const hostLoad = r.load?.runs.find((x) => x.target === "host")?.cell;
    expect(hostLoad).toHaveProperty("ok");
    if (hostLoad && "ok" in hostLoad) {
      expect(hostLoad.ok.before.totalKiB).toBeGreaterThan(0);
      expect(hostLoad.ok.after.rssKiB).toBeGreaterThan(0);
      expect(hostLoad.ok.basis).toBe("rss");
    }
    expect(table).toMatch(/load run, .*socket errors = 0 \| \*\*PASS\*\* 0 \(connect 0, read 0, write 0, timeout 0\)/);
    expect(table).toMatch(/non-2xx responses = 0 \| \*\*PASS\*\* 0/);
    // The storage phase ran its program on the host: every figure is there and positive.
    const st = r.storage?.write.host;
    expect(st).toHaveProperty("ok");
    if (st && "ok" in st) {
      expect(st.ok.fsyncs).toBe(5);
      expect(st.ok.seqWriteMiB).toBe(2);
      for (const v of [st.ok.fsyncMedianUs, st.ok.fsyncP99Us, st.ok.seqWriteMiBps, st.ok.randSyncIops, st.ok.randBufferedIops]) expect(v).toBeGreaterThan(0);
    }
    expect(r.storage?.read.host).toHaveProperty("ok");
    expect(table).toMatch(/\| storage: sequential write, 2 MiB .*MiB\/s \| n\/a \(dry run\) \| n\/a \(dry run\) \|/);
    // The nginx phase's rows: the host column empty, uninode compared with the microVM.
    expect(table).toMatch(/\| nginx \(Debian's, apps\/nginx\): wrk 50 connections 5 s, GET \/index\.html .* \| — \| \d+ req\/s, p50 [\d.]+ ms, p99 [\d.]+ ms \| n\/a \(dry run\) \|/);
    expect(table).toMatch(/GET \/bench-1m\.bin \(a 1 MiB file\).* \| \d+ req\/s \([\d.]+ MiB\/s\)/);
    // The MariaDB phase's rows: the initialisation and mysqlslap's rate, VMs only.
    expect(table).toMatch(/\| MariaDB \(Debian's, apps\/mariadb\): launch → first SELECT 1 answered, empty volume \(initialisation\) \| — \| 30\.0 s \| n\/a \(dry run\) \|/);
    expect(table).toMatch(/\| MariaDB: mysqlslap mixed read-write, 8 clients, 2000 queries, InnoDB, QEMU user network \| — \| 162 queries\/s \(12\.35 s\) \| n\/a \(dry run\) \|/);
    const md = mergeResults(undefined, r);
    expect(md).toContain("## Latest quick run (dry run: no measurement is real)");
    // A quick run replaces its own section and keeps the full run's.
    const full = mergeResults(md, { ...r, mode: "full" });
    expect(full).toContain("## Latest full run");
    const again = mergeResults(full, { ...r, machine: { ...r.machine, date: "LATER" } });
    expect(again).toContain("## Latest full run");
    expect(again.match(/## Latest quick run/g)).toHaveLength(1);
    expect(again).toContain("date: LATER");
    // A one-phase run has its own section; the others stay.
    const only = mergeResults(again, { ...r, mode: "full", only: "load" });
    expect(only).toContain("## Latest full run of the load phase only (`--only load`)");
    expect(only.match(/## Latest full run \(/g)).toHaveLength(1);
    expect(only.match(/## Latest quick run/g)).toHaveLength(1);
    expect(mergeResults(only, { ...r, mode: "full", only: "load", machine: { ...r.machine, date: "LATEST" } }).match(/load phase only/g)).toHaveLength(1);
  });

  it("keeps this machine's paths out of the results", () => {
    expect(scrubPaths("n/a (cannot open /repo/x/.cache/bench/a.cpio in /repo/x; /tmp/q)", "/repo/x", "/tmp")).toBe("n/a (cannot open .cache/bench/a.cpio in .; $TMPDIR/q)");
  });

  it("reads its options", () => {
    expect(parseBenchArgs(["--quick", "--dry-run"])).toEqual({ quick: true, dryRun: true });
    expect(parseBenchArgs(["--results", "x.md"])).toEqual({ quick: false, dryRun: false, results: "x.md" });
    expect(parseBenchArgs(["--help"])).toBe("help");
    expect(() => parseBenchArgs(["--fast"])).toThrow(/unknown option --fast/);
    expect(() => parseBenchArgs(["--results"])).toThrow(/needs a file/);
    expect(parseBenchArgs(["--only", "load", "--note", "shared machine"])).toEqual({ quick: false, dryRun: false, only: "load", note: "shared machine" });
    expect(() => parseBenchArgs(["--only", "wrk"])).toThrow(/phases load, storage, nginx and mariadb; not wrk/);
    expect(parseBenchArgs(["--only", "mariadb", "--quick"])).toEqual({ quick: true, dryRun: false, only: "mariadb" });
    expect(parseBenchArgs(["--only", "storage", "--quick"])).toEqual({ quick: true, dryRun: false, only: "storage" });
    expect(() => parseBenchArgs(["--only"])).toThrow(/needs a phase/);
  });

  it("plans at least five repetitions and three wrk levels for a full run", () => {
    const full = planFor(false);
    expect(full.reps).toBeGreaterThanOrEqual(5);
    expect(full.wrkConns).toEqual([1, 50, 400]);
    expect(full.wrkSeconds).toBe(30);
    expect(full.tap && full.floor && full.insnRequests).toBe(true);
    expect(planFor(true).wrkSeconds).toBeLessThan(full.wrkSeconds);
    // Issue 4's load run: 30 s at 50 connections after a warm-up.
    expect(full.load).toEqual({ conns: 50, warmupSeconds: 30, seconds: 30 });
    expect(planFor(true).load.conns).toBe(50);
  });
});
