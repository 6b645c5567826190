// One table from one run: every measurement a row, the three targets as columns, timings also
// as a ratio to the host measured in the same run. The same Markdown goes to the terminal and
// into bench/RESULTS.md, under the date, the machine and the load the bench saw.

import { socketErrorTotal, type LoadSeen, type Summary, type WrkResult } from "./measure.js";
import { MEMORY_DRIFT_LIMIT_PCT, passFail, type Cell, type ExpressBoot, type InsnCounts, type LoadPlan, type LoadRun, type SyscallCost, type WrkCell } from "./phases.js";
import { nginxRows, type NginxResults } from "./nginx.js";
import { mariadbRows, type MariadbResults } from "./mariadb.js";
import type { StorageResults } from "./storage.js";
import { TARGETS, type TargetName, type VmTargetName } from "./targets.js";

export interface Machine {
  date: string;
  nproc: number;
  cpuModel: string;
  accel: string;
  accelReason: string;
  qemu: string;
  node: string;
  linuxKernel: string;
  memory: string;
}

export interface SizeBreakdown {
  total: number;
  parts: [string, number][];
}

export interface Results {
  machine: Machine;
  mode: "full" | "quick";
  dryRun: boolean;
  /** Set when only one phase ran (`--only load`): its section of RESULTS.md is its own. */
  only?: "load" | "storage" | "nginx" | "mariadb";
  loads: [string, LoadSeen][];
  nodeE?: Record<TargetName, Cell<Summary>>;
  express?: ExpressBoot;
  sizes?: Record<TargetName, Cell<SizeBreakdown>>;
  floor?: Record<VmTargetName, Cell<number>>;
  syscalls?: SyscallCost;
  insns?: InsnCounts;
  wrk: { net: "user" | "tap"; target: TargetName; cells: WrkCell[] }[];
  load?: { plan: LoadPlan; runs: { net: "user" | "tap"; target: TargetName; cell: Cell<LoadRun> }[] };
  storage?: StorageResults;
  nginx?: NginxResults;
  mariadb?: MariadbResults;
  notes: string[];
}

const NA_MAX = 90;

function naText(why: string): string {
  const w = why.replace(/\|/g, "/");
  return `n/a (${w.length > NA_MAX ? `${w.slice(0, NA_MAX - 3)}...` : w})`;
}

export function fmtBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

function fmtNum(v: number, digits: number): string {
  return v.toFixed(digits);
}

/** "1.23 s (1.10–1.40) ×5.2": median, min–max and the ratio of medians to the host. */
function timeCell(c: Cell<Summary> | undefined, host: Cell<Summary> | undefined, unit: string, digits: number, isHost: boolean): string {
  if (c === undefined) return "not run";
  if ("na" in c) return naText(c.na);
  const s = c.ok;
  let text = `${fmtNum(s.median, digits)} ${unit} (${fmtNum(s.min, digits)}–${fmtNum(s.max, digits)})`;
  if (!isHost && host && "ok" in host && host.ok.median > 0) text += ` ×${(s.median / host.ok.median).toFixed(1)}`;
  return text;
}

function numCell<T>(c: Cell<T> | undefined, fmt: (n: T) => string): string {
  if (c === undefined) return "not run";
  return "na" in c ? naText(c.na) : fmt(c.ok);
}

function row(cells: string[]): string {
  return `| ${cells.join(" | ")} |`;
}

function sizeCell(c: Cell<SizeBreakdown> | undefined): string {
  if (c === undefined) return "not run";
  if ("na" in c) return naText(c.na);
  return `${fmtBytes(c.ok.total)}: ${c.ok.parts.map(([k, v]) => `${k} ${fmtBytes(v)}`).join(", ")}`;
}

function wrkCell(c: Cell<WrkResult> | undefined, host: Cell<WrkResult> | undefined, isHost: boolean): string {
  if (c === undefined) return "not run";
  if ("na" in c) return naText(c.na);
  let t = `${c.ok.requestsPerSec.toFixed(0)} req/s, p50 ${c.ok.p50Ms.toFixed(2)} ms, p99 ${c.ok.p99Ms.toFixed(2)} ms`;
  if (c.ok.errors > 0) t += `, ${c.ok.errors} errors`;
  if (!isHost && host && "ok" in host && host.ok.requestsPerSec > 0) t += ` (×${(c.ok.requestsPerSec / host.ok.requestsPerSec).toFixed(3)} of host)`;
  return t;
}


const netLabel = (net: "user" | "tap") => (net === "user" ? "QEMU user network (host: loopback)" : "tap in a namespace");

/** The load run's rows: throughput, then each of the issue's three conditions with PASS/FAIL. */
function loadRows(load: NonNullable<Results["load"]>): string[] {
  const p = load.plan;
  const out: string[] = [];
  const mib = (k: number) => `${(k / 1024).toFixed(1)} MiB`;
  for (const net of [...new Set(load.runs.map((x) => x.net))]) {
    const of = (t: TargetName) => load.runs.find((x) => x.net === net && x.target === t)?.cell;
    const cells = (f: (r: LoadRun) => string) =>
      TARGETS.map((t) => {
        const c = of(t);
        if (c === undefined) return net === "tap" && t === "host" ? "— (no VM)" : "not run";
        return "na" in c ? naText(c.na) : f(c.ok);
      });
    const head = `load run, ${p.conns} connections × ${p.seconds} s (after ${p.warmupSeconds} s warm-up), ${net === "user" ? "user network" : "tap"}`;
    out.push(
      row([
        `${head}: throughput`,
        ...cells((r) => {
          const w = r.wrk;
          const warm = `warm-up ${r.warmup.requestsPerSec.toFixed(0)} req/s${r.warmup.errors ? `, ${r.warmup.errors} errors` : ""}`;
          return `${w.requestsPerSec.toFixed(0)} req/s (${w.requests} requests), p50 ${w.p50Ms.toFixed(2)} ms, p99 ${w.p99Ms.toFixed(2)} ms; ${warm}`;
        }),
      ]),
    );
    out.push(
      row([
        `${head}: socket errors = 0`,
        ...cells((r) => {
          const s = r.wrk.socket;
          return `**${passFail(r.pass.socket)}** ${socketErrorTotal(s)} (connect ${s.connect}, read ${s.read}, write ${s.write}, timeout ${s.timeout})`;
        }),
      ]),
    );
    out.push(row([`${head}: non-2xx responses = 0`, ...cells((r) => `**${passFail(r.pass.non2xx)}** ${r.wrk.non2xx}`)]));
    out.push(
      row([
        `${head}: memory after within ${MEMORY_DRIFT_LIMIT_PCT} % of before (VM: MemTotal−MemFree, host: RSS; after a full GC)`,
        ...cells((r) => {
          const sign = r.driftPct >= 0 ? "+" : "";
          const rss = r.basis === "rss" ? "" : `; RSS ${mib(r.before.rssKiB)} → ${mib(r.after.rssKiB)}`;
          const heap = `; V8 heap used ${mib(r.before.heapUsedKiB)} → ${mib(r.after.heapUsedKiB)}`;
          return `**${passFail(r.pass.memory)}** ${mib(r.beforeKiB)} → ${mib(r.afterKiB)} (${sign}${r.driftPct.toFixed(1)} %)${rss}${heap}`;
        }),
      ]),
    );
  }
  return out;
}

/** A figure's cell: the value, then (in a VM) ×N of the host's, and for uninode ×N of the microVM's. */
function storageCell<T>(rec: Record<TargetName, Cell<T>>, t: TargetName, value: (v: T) => number, text: (v: T) => string): string {
  const c = rec[t];
  if (c === undefined) return "not run";
  if ("na" in c) return naText(c.na);
  const v = value(c.ok);
  const ratio = (of: TargetName, label: string) => {
    const b = rec[of];
    return b && "ok" in b && value(b.ok) > 0 ? `×${(v / value(b.ok)).toFixed(2)} of ${label}` : undefined;
  };
  const ratios = t === "host" ? [] : [ratio("host", "host"), t === "uninode" ? ratio("linux-microvm", "microVM") : undefined].filter((x) => x !== undefined);
  return ratios.length > 0 ? `${text(c.ok)} (${ratios.join(", ")})` : text(c.ok);
}

/** The storage phase's rows: each figure of c/storage.c, per target, with its ratios. */
function storageRows(st: StorageResults): string[] {
  const p = st.plan;
  const us = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} ms` : `${v.toFixed(0)} µs`);
  return [
    row([
      `storage: fsync after each 4 KiB append, median (${p.fsyncs} appends)`,
      ...TARGETS.map((t) => storageCell(st.write, t, (w) => w.fsyncMedianUs, (w) => `${us(w.fsyncMedianUs)}${w.fsyncs < p.fsyncs ? ` (${w.fsyncs} done in ${p.seconds} s)` : ""}`)),
    ]),
    row([`storage: fsync after each 4 KiB append, p99`, ...TARGETS.map((t) => storageCell(st.write, t, (w) => w.fsyncP99Us, (w) => us(w.fsyncP99Us)))]),
    row([
      `storage: sequential write, ${p.seqMiB} MiB in 1 MiB writes then fsync (time includes it)`,
      ...TARGETS.map((t) => storageCell(st.write, t, (w) => w.seqWriteMiBps, (w) => `${w.seqWriteMiBps.toFixed(1)} MiB/s${w.seqWriteMiB < p.seqMiB ? ` (${w.seqWriteMiB} MiB in ${p.seconds} s)` : ""}`)),
    ]),
    row([
      `storage: sequential read of that file in 1 MiB reads, not in the page cache (VM: a second boot)`,
      ...TARGETS.map((t) => storageCell(st.read, t, (r) => r.mibps, (r) => `${r.mibps.toFixed(1)} MiB/s`)),
    ]),
    row([
      `storage: 4 KiB random writes, each followed by fdatasync (${p.randSync})`,
      ...TARGETS.map((t) => storageCell(st.write, t, (w) => w.randSyncIops, (w) => `${w.randSyncIops.toFixed(0)} IOPS${w.randSyncOps < p.randSync ? ` (${w.randSyncOps} in ${p.seconds} s)` : ""}`)),
    ]),
    row([
      `storage: 4 KiB random writes, buffered, one fsync at the end (${p.randBuffered})`,
      ...TARGETS.map((t) => storageCell(st.write, t, (w) => w.randBufferedIops, (w) => `${w.randBufferedIops.toFixed(0)} IOPS${w.randBufferedOps < p.randBuffered ? ` (${w.randBufferedOps} in ${p.seconds} s)` : ""}`)),
    ]),
    ...(st.flushes
      ? [
          row([
            `storage: device flushes the write boot sent / its fsync + fdatasync calls (a third boot, QEMU's blklogwrites recording)`,
            ...TARGETS.map((t) => (t === "host" ? "—" : numCell(st.flushes?.[t as VmTargetName], (f) => `${f.flushes} / ${f.syncCalls}`))),
          ]),
        ]
      : []),
    row([`storage: e2fsck -fn of the volume after both boots`, ...TARGETS.map((t) => (t === "host" ? "—" : (st.fsck[t] ?? "not run").replace(/\|/g, "/")))]),
  ];
}

export function renderTable(r: Results): string {
  const lines: string[] = [];
  lines.push(row(["measurement", ...TARGETS]));
  lines.push(row(["---", ...TARGETS.map(() => "---")]));
  const hostOf = <T>(rec: Record<TargetName, Cell<T>> | undefined) => rec?.host;
  if (r.nodeE) {
    lines.push(row([`launch → exit, \`node -e "console.log(1)"\``, ...TARGETS.map((t) => timeCell(r.nodeE?.[t], hostOf(r.nodeE), "s", 3, t === "host"))]));
  }
  if (r.express) {
    const e = r.express.firstOk;
    lines.push(row(["launch → first HTTP 200, express-hello", ...TARGETS.map((t) => timeCell(e[t], e.host, "s", 3, t === "host"))]));
  }
  if (r.insns) {
    const i = r.insns;
    // Median (min–max) in millions; uninode's cell also says how it compares with the microVM's.
    const vm = (rec: Record<VmTargetName, Cell<Summary>>) =>
      TARGETS.map((t) => {
        if (t === "host") return "—";
        const u = rec[t];
        if ("na" in u) return naText(u.na);
        const m = (v: number) => (v / 1e6).toFixed(1);
        let text = `${m(u.ok.median)} M (${m(u.ok.min)}–${m(u.ok.max)})`;
        const base = rec["linux-microvm"];
        if (t === "uninode" && "ok" in base && base.ok.median > 0) text += ` ×${(u.ok.median / base.ok.median).toFixed(2)} of microVM`;
        return text;
      });
    lines.push(row(["guest instructions, reset → `node -e` exit (-icount)", ...vm(i.nodeE)]));
    lines.push(row(["guest instructions, reset → express-hello listen() (-icount)", ...vm(i.toListen)]));
    lines.push(row(["guest instructions, 1,000 sequential requests (-icount)", ...vm(i.requests)]));
  }
  if (r.syscalls) {
    const s = r.syscalls;
    lines.push(row(["getppid(), ns per call", ...TARGETS.map((t) => timeCell(s.getppidNs[t], s.getppidNs.host, "ns", 1, t === "host"))]));
    lines.push(row(["clock_gettime(), ns per call", ...TARGETS.map((t) => timeCell(s.clockNs[t], s.clockNs.host, "ns", 1, t === "host"))]));
  }
  if (r.express) {
    const m = r.express.touchedMiB;
    lines.push(row([`guest memory touched after the first 200 (of ${r.machine.memory})`, ...TARGETS.map((t) => (t === "host" ? "—" : numCell(m[t], (v) => `${v.toFixed(1)} MiB`)))]));
  }
  if (r.insns) {
    const mem = r.insns.memAtListen;
    const kib = (v: number) => `${(v / 1024).toFixed(1)} MiB`;
    lines.push(
      row([
        "guest kernel's /proc/meminfo at listen(): MemTotal−MemFree / MemTotal−MemAvailable; node's RSS",
        ...TARGETS.map((t) => (t === "host" ? "—" : numCell(mem[t], (v) => `${kib(v.usedKiB)} / ${kib(v.unavailableKiB)}; RSS ${kib(v.rssKiB)}`))),
      ]),
    );
  }
  if (r.floor) {
    const f = r.floor;
    lines.push(row(["memory floor: smallest -m answering 1,000 requests", ...TARGETS.map((t) => (t === "host" ? "—" : numCell(f[t], (v) => `${v} MiB`)))]));
  }
  if (r.sizes) {
    const z = r.sizes;
    lines.push(row(["size on disk", ...TARGETS.map((t) => sizeCell(z[t]))]));
  }
  const nets = [...new Set(r.wrk.map((w) => w.net))];
  for (const net of nets) {
    const conns = [...new Set(r.wrk.filter((w) => w.net === net).flatMap((w) => w.cells.map((c) => c.conns)))].sort((a, b) => a - b);
    for (const c of conns) {
      const of = (t: TargetName) => r.wrk.find((w) => w.net === net && w.target === t)?.cells.find((x) => x.conns === c)?.result;
      // Under tap the reference is still the host over loopback.
      const hostRef = r.wrk.find((w) => w.net === "user" && w.target === "host")?.cells.find((x) => x.conns === c)?.result;
      const label = `wrk ${c} connection${c === 1 ? "" : "s"}, ${netLabel(net)}`;
      lines.push(row([label, ...TARGETS.map((t) => (net === "tap" && t === "host" ? "— (no VM)" : wrkCell(of(t), hostRef, t === "host")))]));
    }
  }
  if (r.storage) lines.push(...storageRows(r.storage));
  if (r.nginx) lines.push(...nginxRows(r.nginx, TARGETS, row, naText));
  if (r.mariadb) lines.push(...mariadbRows(r.mariadb, TARGETS, row, naText));
  if (r.load) lines.push(...loadRows(r.load));
  return lines.join("\n");
}

/** One run's section of RESULTS.md: the facts of the run, the table, the notes. */
export function renderSection(r: Results): string {
  const m = r.machine;
  const out: string[] = [];
  const what = r.only ? `${r.mode} run of the ${r.only} phase only (\`--only ${r.only}\`${r.mode === "quick" ? " --quick" : ""})` : `${r.mode} run`;
  out.push(`## Latest ${what}${r.dryRun ? " (dry run: no measurement is real)" : ""}`);
  out.push("");
  out.push(`- date: ${m.date}`);
  out.push(`- machine: ${m.nproc} CPUs (nproc), ${m.cpuModel}`);
  out.push(`- accelerator: ${m.accel.toUpperCase()} (${m.accelReason}); every VM uses it, with ${m.memory} of memory and 1 vCPU on QEMU ${m.qemu}'s q35`);
  out.push(`- host: node ${m.node}; linux-microvm kernel: ${m.linuxKernel}`);
  out.push(
    `- load seen before each phase (1-min loadavg / CPU busy over 1 s / time waited for a quiet machine): ${r.loads
      .map(([p, l]) => `${p} ${l.load1.toFixed(2)} / ${(l.busy * 100).toFixed(0)}%${l.quiet ? "" : " (never quiet)"} / ${(l.waitedMs / 1000).toFixed(0)} s`)
      .join("; ")}`,
  );
  out.push("");
  out.push(renderTable(r));
  out.push("");
  if (r.notes.length > 0) {
    out.push("Notes:");
    out.push("");
    for (const n of r.notes) out.push(`- ${n}`);
    out.push("");
  }
  return out.join("\n");
}

const HEAD = `# uninode benchmark results

Written by \`npm run bench\` (the full run), \`npm run bench -- --quick\` (the subset) and
\`npm run bench -- --only load\`, \`--only storage\`, \`--only nginx\` or \`--only mariadb\` (one phase); each replaces its own section below. See
[README.md](README.md) for what is measured and how.

Timings: median (min–max) over the repetitions, ×N = median over the host's median in the same
run. Under TCG absolute times are those of an emulated CPU: compare the ratios. Guest instruction
counts are the figure that does not move with the machine's load.
`;

const marker = (key: string, end: boolean) => `<!-- bench:${key}${end ? ":end" : ""} -->`;

/** The section a run replaces: its mode, or its mode and the one phase it ran. */
export const sectionKey = (r: Pick<Results, "mode" | "only">): string => (r.only ? `${r.mode}-only-${r.only}` : r.mode);

/** RESULTS.md with this run's section replaced (or added), every other section kept. */
export function mergeResults(existing: string | undefined, r: Results): string {
  const sections = new Map<string, string>();
  for (const m of existing?.matchAll(/<!-- bench:([a-z-]+) -->/g) ?? []) {
    const key = m[1]!;
    if (key.endsWith(":end")) continue;
    const a = m.index! + m[0].length;
    const b = existing!.indexOf(marker(key, true), a);
    if (b > a) sections.set(key, existing!.slice(a, b).trim());
  }
  sections.set(sectionKey(r), renderSection(r).trim());
  const order = ["full", "quick", ...[...sections.keys()].filter((k) => k !== "full" && k !== "quick").sort()];
  const parts = [HEAD];
  for (const key of order) {
    const body = sections.get(key);
    if (body !== undefined) parts.push(`${marker(key, false)}\n${body}\n${marker(key, true)}\n`);
  }
  return parts.join("\n");
}
