// npm run bench [-- --quick] [-- --dry-run] [-- --only load|storage|nginx|mariadb] [-- --results FILE] [-- --note TEXT]
//
// Measures express-hello and `node -e` three ways on this machine (a host process, a minimal
// Linux microVM, the uninode image), prints one table and writes it to bench/RESULTS.md.
// --quick is the ~2-minute subset; --dry-run runs the bench's own code paths (argument
// building, the cpio writer, parsers, one host run, the report) without setup or long runs;
// --only load runs just the load run (issue 4's pass/fail conditions); --only storage just the
// storage phase (issue 10: fsync, sequential and random I/O on a volume).

import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { detectAccel } from "../src/vm/accel.js";
import { planMounts } from "../src/vm/mounts.js";
import { treeEntries, writeCpio } from "./cpio.js";
import { parseWrk, summarize, waitQuiet, type LoadSeen, type WrkResult } from "./measure.js";
import { benchCache, repoRoot } from "./paths.js";
import {
  bootToExit,
  bootToFirstOk,
  createTapNamespace,
  instructionCounts,
  loadRun,
  MEMORY_DRIFT_LIMIT_PCT,
  memoryFloor,
  na,
  parseSyscallOutput,
  syscallCost,
  wrkOverTap,
  type Cell,
  type LoadPlan,
  type PhaseContext,
} from "./phases.js";
import { mergeResults, renderTable, type Results, type SizeBreakdown } from "./report.js";
import { MEMINFO_PATH, prepare, STORAGE_DIR, WORKLOADS, type Prepared, type StoragePlan, type Workload } from "./setup.js";
import { describeStorage, parseStorageOutput, storagePhase } from "./storage.js";
import { startTarget, TARGETS, VM_TARGETS, type TargetName, type VmTargetName } from "./targets.js";
import { NGINX_BIG, NGINX_FILES, nginxPhase, type NginxPlan } from "./nginx.js";
import { MARIADB_DATADIR, mariadbPhase, parseSlap, type MariadbPlan } from "./mariadb.js";
import { microvmCmdline, vmArgs } from "./vm.js";

export interface BenchOptions {
  quick: boolean;
  dryRun: boolean;
  /** Where the Markdown goes; default bench/RESULTS.md (a dry run writes nowhere unless told). */
  results?: string;
  /** Run one phase only; its section of RESULTS.md is its own. */
  only?: Phase;
  /** The operator's words about the run (e.g. what else the machine was doing), added to the notes. */
  note?: string;
  log?: (s: string) => void;
}

/** The phases --only can pick. */
export const ONLY_PHASES = ["load", "storage", "nginx", "mariadb"] as const;
export type Phase = (typeof ONLY_PHASES)[number];

export const USAGE = `usage: npm run bench [-- --quick] [-- --dry-run] [-- --only load|storage|nginx|mariadb] [-- --results FILE] [-- --note TEXT]
  --quick     the short subset (about 2 minutes once set up)
  --dry-run   check the bench's own code paths without setup or long runs
  --only load only the load run: wrk at 50 connections, errors, non-2xx and guest memory, PASS/FAIL
  --only storage
              only the storage phase: fsync, sequential and random I/O on a volume, each VM booted twice
  --only nginx
              only the nginx phase: apps/nginx in each VM, wrk at 50 connections on a page and a 1 MiB file
  --only mariadb
              only the MariaDB phase: apps/mariadb in each VM on a fresh volume, its initialisation, mysqlslap at 8 clients
  --results   write the Markdown there instead of bench/RESULTS.md
  --note      a sentence about the run for the notes (what else the machine was doing)`;

export function parseBenchArgs(argv: readonly string[]): BenchOptions | "help" {
  const o: BenchOptions = { quick: false, dryRun: false };
  const value = (i: number, what: string): string => {
    const v = argv[i];
    if (v === undefined) throw new Error(`${argv[i - 1]} needs ${what}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") o.quick = true;
    else if (a === "--dry-run") o.dryRun = true;
    else if (a === "--results") o.results = value(++i, "a file name");
    else if (a === "--note") o.note = value(++i, "a sentence");
    else if (a === "--only") {
      const v = value(++i, "a phase name");
      if (!(ONLY_PHASES as readonly string[]).includes(v)) throw new Error(`--only knows the phases ${ONLY_PHASES.slice(0, -1).join(", ")} and ${ONLY_PHASES.at(-1)}; not ${v}`);
      o.only = v as Phase;
    } else if (a === "-h" || a === "--help") return "help";
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return o;
}

/** The plan of one run: repetitions, phases, wrk levels, by mode. */
export interface Plan {
  reps: number;
  syscallReps: number;
  wrkConns: number[];
  wrkSeconds: number;
  tap: boolean;
  floor: boolean;
  insnReps: number;
  insnListen: boolean;
  insnRequests: boolean;
  quietWaitMs: number;
  load: LoadPlan;
  storage: StoragePlan;
  nginx: NginxPlan;
  mariadb: MariadbPlan;
}

export function planFor(quick: boolean): Plan {
  return quick
    ? {
        reps: 3,
        syscallReps: 1,
        wrkConns: [50],
        wrkSeconds: 5,
        tap: false,
        floor: false,
        insnReps: 1,
        insnListen: false,
        insnRequests: false,
        quietWaitMs: 3_000,
        load: { conns: 50, warmupSeconds: 5, seconds: 5 },
        storage: { fsyncs: 50, seqMiB: 16, randSync: 100, randBuffered: 1024, seconds: 20, volumeMiB: 64 },
        nginx: { conns: 50, seconds: 5 },
        mariadb: { clients: 8, queries: 2000, volumeMiB: 512 },
      }
    : {
        reps: 5,
        syscallReps: 5,
        wrkConns: [1, 50, 400],
        wrkSeconds: 30,
        tap: true,
        floor: true,
        insnReps: 3,
        insnListen: true,
        insnRequests: true,
        quietWaitMs: 60_000,
        // As long as the run itself: under TCG, V8 tiers its code up and grows its young
        // generation for the first tens of seconds of load (guest used memory +6.5 % after a 5 s
        // warm-up, then within ±5 % over five further runs, no trend), which is not a leak.
        load: { conns: 50, warmupSeconds: 30, seconds: 30 },
        storage: { fsyncs: 200, seqMiB: 64, randSync: 500, randBuffered: 4096, seconds: 60, volumeMiB: 256 },
        nginx: { conns: 50, seconds: 30 },
        mariadb: { clients: 8, queries: 8000, volumeMiB: 512 },
      };
}

export const MEMORY_MIB = 512;

async function machineFacts(accel: string, accelReason: string, linuxKernel: string): Promise<Results["machine"]> {
  const cpuinfo = await readFile("/proc/cpuinfo", "utf8").catch(() => "");
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown CPU";
  const qemu = await execa("qemu-system-x86_64", ["--version"], { reject: false });
  const qv = /version ([\d.]+)/.exec(qemu.stdout)?.[1] ?? "unknown";
  const node = await execa("node", ["--version"], { reject: false });
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    nproc: os.availableParallelism(),
    cpuModel: model,
    accel,
    accelReason,
    qemu: qv,
    node: node.stdout.trim() || "unknown",
    linuxKernel,
    memory: `${MEMORY_MIB} MiB`,
  };
}

async function sizesOf(p: Prepared): Promise<Record<TargetName, Cell<SizeBreakdown>>> {
  const w = p.workloads.express;
  const s = w.image.header.sections;
  const manifest = w.image.manifest as { files?: { path: string; role: string; size: number }[] };
  const byRole = new Map<string, number>();
  for (const f of manifest.files ?? []) {
    const key = f.role === "program" ? "node" : f.role === "library" || f.role === "interpreter" ? "libs" : f.role === "dependency" ? "node_modules" : f.role === "app" ? "app" : "other";
    byRole.set(key, (byRole.get(key) ?? 0) + f.size);
  }
  const content = [...byRole.values()].reduce((a, b) => a + b, 0);
  const ordered = ["node", "libs", "node_modules", "app", "other"].filter((k) => byRole.has(k)).map((k) => [k, byRole.get(k)!] as [string, number]);
  const uninode: SizeBreakdown = {
    total: w.image.size,
    parts: [
      ["kernel.elf", s.kernel.size],
      ["ext2 root fs", s.rootfs.size],
      ["of which files", content],
      ...ordered,
      ["header, manifest, padding", w.image.size - s.kernel.size - s.rootfs.size],
      // The image is a sparse file: the root fs's free blocks take no space.
      ["allocated on disk", (await stat(w.image.path)).blocks * 512],
    ],
  };
  const microvm: SizeBreakdown = {
    total: p.linux.vmlinuzSize + w.initramfs.size,
    parts: [
      ["vmlinuz", p.linux.vmlinuzSize],
      ["initramfs (cpio, uncompressed)", w.initramfs.size],
      ["of which the image's files", w.initramfs.parts.rootfsFiles],
      ["modules", w.initramfs.parts.modules],
      ["init", w.initramfs.parts.init],
    ],
  };
  const host: SizeBreakdown = { total: content, parts: ordered };
  return { host: { ok: host }, "linux-microvm": { ok: microvm }, uninode: { ok: uninode } };
}

export async function runBench(o: BenchOptions): Promise<Results> {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const plan = planFor(o.quick);
  const choice = await detectAccel();
  if (o.dryRun) return dryRun(o, plan, choice.accel, choice.reason, log);

  log(`bench: ${o.quick ? "quick" : "full"} run${o.only ? ` of the ${o.only} phase only` : ""}, accelerator ${choice.accel.toUpperCase()} (${choice.reason})`);
  const wantsStorage = o.only === undefined || o.only === "storage";
  const wantsNginx = o.only === undefined || o.only === "nginx";
  const wantsMariadb = o.only === undefined || o.only === "mariadb";
  const prepared = await prepare(log, { main: o.only === undefined || o.only === "load", ...(wantsStorage ? { storage: plan.storage } : {}), nginx: wantsNginx, mariadb: wantsMariadb });
  const root = repoRoot();
  const workDir = path.join(benchCache(root), "runs");
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  const ctx: PhaseContext = { prepared, accel: choice.accel, memory: `${MEMORY_MIB}M`, memoryMiB: MEMORY_MIB, reps: plan.reps, workDir, log };
  const results: Results = {
    machine: await machineFacts(choice.accel, choice.reason, `${prepared.linux.packageName} (${prepared.linux.version})`),
    mode: o.quick ? "quick" : "full",
    dryRun: false,
    ...(o.only ? { only: o.only } : {}),
    loads: [],
    wrk: [],
    notes: [],
  };
  const phase = async (name: string): Promise<void> => {
    const seen: LoadSeen = await waitQuiet(plan.quietWaitMs);
    results.loads.push([name, seen]);
    log(`bench: ${name} (load ${seen.load1.toFixed(2)}, CPU ${(seen.busy * 100).toFixed(0)}% busy${seen.quiet ? "" : ", not quiet"})`);
  };

  if (o.only === undefined) {
    results.sizes = await sizesOf(prepared);
    await phase("boot node -e");
    results.nodeE = await bootToExit(ctx);
    await phase("boot express");
    results.express = await bootToFirstOk(ctx, { conns: plan.wrkConns, seconds: plan.wrkSeconds });
    for (const t of TARGETS) results.wrk.push({ net: "user", target: t, cells: results.express.wrk[t] });
    await phase("syscalls");
    results.syscalls = await syscallCost(ctx, plan.syscallReps);
    await phase("instructions");
    results.insns = await instructionCounts(ctx, plan.insnListen, plan.insnRequests, plan.insnReps);
    if (plan.floor) {
      await phase("memory floor");
      results.floor = {} as Record<VmTargetName, Cell<number>>;
      for (const t of VM_TARGETS) results.floor[t] = await memoryFloor(ctx, t, 16, MEMORY_MIB, 8);
    }
  }
  if (wantsStorage) {
    await phase("storage");
    results.storage = await storagePhase(ctx, plan.storage);
  }
  if (wantsNginx) {
    await phase("nginx");
    results.nginx = await nginxPhase(ctx, plan.nginx);
    addNginxNotes(results);
  }
  if (wantsMariadb) {
    await phase("mariadb");
    results.mariadb = await mariadbPhase(ctx, plan.mariadb);
    addMariadbNotes(results);
  }
  if (o.only === undefined || o.only === "load") await loadPhases(o, plan, ctx, results, phase);
  if (o.only === undefined) addNotes(results, prepared);
  if (results.storage) addStorageNotes(results);
  addLoadNotes(results, o.note);
  await rm(workDir, { recursive: true, force: true });
  await emit(results, o, root, log);
  return results;
}

/** The load run over the user network, and over a tap (full run): also wrk over the tap when every phase runs. */
async function loadPhases(o: BenchOptions, plan: Plan, ctx: PhaseContext, results: Results, phase: (name: string) => Promise<void>): Promise<void> {
  const load: NonNullable<Results["load"]> = { plan: plan.load, runs: [] };
  results.load = load;
  await phase("load user");
  for (const t of TARGETS) load.runs.push({ net: "user", target: t, cell: await loadRun(ctx, t, plan.load) });
  if (plan.tap) {
    await phase("tap");
    const ns = `uninode-bench-${process.pid}`;
    let remove: (() => Promise<void>) | undefined;
    // Interrupted, the bench still deletes its namespace (QEMU and wrk die with it).
    const onSignal = () => void execa("ip", ["netns", "del", ns], { reject: false }).then(() => process.exit(130));
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
      remove = await createTapNamespace(ns);
      if (o.only === undefined) {
        for (const t of VM_TARGETS) results.wrk.push({ net: "tap", target: t, cells: await wrkOverTap(ctx, t, { conns: plan.wrkConns, seconds: plan.wrkSeconds }, ns) });
      }
      for (const t of VM_TARGETS) load.runs.push({ net: "tap", target: t, cell: await loadRun(ctx, t, plan.load, ns) });
    } catch (err) {
      const why = na<never>(`no tap namespace: ${(err as Error).message.split("\n")[0]}`);
      for (const t of VM_TARGETS) {
        if (o.only === undefined && !results.wrk.some((w) => w.net === "tap" && w.target === t)) results.wrk.push({ net: "tap", target: t, cells: plan.wrkConns.map((c) => ({ conns: c, result: why })) });
        if (!load.runs.some((x) => x.net === "tap" && x.target === t)) load.runs.push({ net: "tap", target: t, cell: why });
      }
    } finally {
      await remove?.();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  }
}

function addStorageNotes(r: Results): void {
  const p = r.storage?.plan;
  if (p === undefined) return;
  r.notes.push(
    `Storage phase (issue 10): bench/c/storage.c, the same binary in all three targets, in one directory: on the host a temp dir on the file system holding the volume files; in each VM a fresh ${p.volumeMiB} MiB volume made by \`uninode volume create\` (ext4 with the feature set uninode's kernel supports: has_journal, filetype, sparse_super, large_file; no extents), attached with the options \`uninode run -v NAME:${STORAGE_DIR}\` gives it (virtio-blk with write-cache=on, so the guest has a flush to send; QEMU's writeback cache, cache.direct=off, where each guest flush becomes an fdatasync of the volume file on the host). uninode mounts it from its mount= token; the microVM's /init mounts it as ext4 (data=ordered, Linux's defaults) and unmounts it when the program ends. Each test stops after its count or ${p.seconds} s, whichever comes first.`,
    "Sequential read: each VM boots a second time on the same volume and reads the file the first boot wrote, so the guest's page cache has never held it (O_DIRECT was not used: the point is the file system's own read path). Between the two boots the bench drops the volume file from the host's page cache (fdatasync, then posix_fadvise(POSIX_FADV_DONTNEED), by the same program), since QEMU reads it through that cache; on the host the program does the same to its file before reading it. So all three reads come from the host's disk.",
    "Device flushes: a third boot per VM runs the write program again on a fresh volume with QEMU's blklogwrites driver under it (the crash tests' recorder; its timings are not kept) and counts the flush requests the disk received. At least one per fsync/fdatasync call means each call reached the device (a flush is what makes the host fdatasync the volume file); more than one per call is the journal: a commit flushes before its commit block is written and after it. The calls: one fsync per append, one for the sequential file, one fdatasync per durable random write, one fsync after the buffered ones, and two directory fsyncs.",
    "Random writes land at 4 KiB-aligned offsets of the sequential file (already allocated: overwrites), from the same xorshift sequence in every target. fsync latency: each sample is one 4 KiB O_APPEND write plus fsync, so the file grows and every fsync commits metadata (its size) as well as data.",
  );
}

function addNotes(r: Results, p: Prepared): void {
  r.notes.push(
    `Both VMs run the same files: the microVM's initramfs is the uninode image's own root fs (node, its ${p.workloads.express.image.manifest ? "shared libraries" : "libraries"}, the app) read out with debugfs, plus a static /init and ${p.linux.modules.length} virtio modules; QEMU is started directly with the same q35 machine, accelerator, memory, vCPU and user-network NIC for both (the microVM boots vmlinuz with -initrd, uninode its kernel.elf with the root fs as a virtio-blk window of the image).`,
    "The microVM's kernel command line is `console=ttyS0 quiet panic=-1` plus the address its init gives eth0; uninode's is `stdin=null`.",
    "Guest instructions come from a QEMU TCG plugin (bench/c/insn-count.c) with -icount shift=0,sleep=off; the counted express-hello runs load bench/guest/probe.cjs with NODE_OPTIONS to end the unmodified app at listen() or after 1,000 requests. The full run repeats each count 3 times: the microVM's boot counts agree within about 0.3 %; uninode's move by a few % (its root fs is read from virtio-blk, whose completions arrive in host time, and the idle timer ticks meanwhile are counted), and so do both 1,000-request figures (the requests arrive in host time).",
    "Guest memory touched = 4 KiB pages of guest RAM that are not all zero (QMP pmemsave after the first 200). Linux never zeroes freed pages, so its figure includes the initramfs it unpacked and freed. The microVM's memory floor is set by the same thing: QEMU loads the uncompressed initramfs into guest RAM and Linux unpacks a second copy before freeing the first.",
    "Time to first 200 is polled every 10 ms from the host through QEMU's port forward; it includes QEMU's own start-up.",
  );
}

function addMariadbNotes(r: Results): void {
  const p = r.mariadb?.plan;
  if (p === undefined) return;
  r.notes.push(
    `MariaDB phase (issue 11): apps/mariadb built by \`uninode build\` from its recipe (Debian's mariadb-server-core and its Depends closure, through apt) with MARIADB_ROOT_PASSWORD added to the recipe's env; the microVM's initramfs is that image's root fs, so both run the same entrypoint, mariadbd, libraries and my.cnf (its /init mounts a tmpfs on /run, as uninode does). Each VM boots once on a fresh ${p.volumeMiB} MiB volume made by \`uninode volume create\` and attached at ${MARIADB_DATADIR} as \`uninode run -v\` attaches it (the microVM mounts it as ext4 with Linux's defaults). The first row is launch → the first \`SELECT 1\` answered by the host's client, polled every 200 ms: the entrypoint's first-boot initialisation of the empty volume (system tables, root's password, InnoDB flushed to a checkpoint), not part of the load; ×N there is uninode's time over the microVM's (lower is faster). Then the host's mysqlslap (Debian's mariadb-client), once: --concurrency=${p.clients} --number-of-queries=${p.queries} --auto-generate-sql --auto-generate-sql-load-type=mixed (half INSERTs, half SELECTs on an auto-generated table) --auto-generate-sql-add-autoincrement --engine=innodb, through QEMU's user network behind a host-side front that lets one connection reach QEMU's port forward at a time (QEMU listens with a backlog of 1; 8 simultaneous connects overflowed it, the host answered with SYN cookies and a client whose last ACK was dropped waited for ever for the server's greeting; once connected, bytes are piped both ways, for both VMs alike); queries/s = queries over mysqlslap's own time for them (its schema set-up is not counted), ×N uninode's over the microVM's. The host column is empty: the phase compares the two kernels under the same program.`,
  );
}

function addNginxNotes(r: Results): void {
  const p = r.nginx?.plan;
  if (p === undefined) return;
  r.notes.push(
    `nginx phase (issue 11): apps/nginx built by \`uninode build\` from its recipe (Debian's nginx and its Depends closure, fetched through apt), with the access log off (each line would be a write to an emulated serial port in both VMs) and a ${NGINX_BIG.bytes / (1 << 20)} MiB file added to its pages; the microVM's initramfs is that image's root fs, so both run the same nginx binary, libraries and configuration (sendfile and tcp_nopush on). Each VM boots once; after one request for each file, wrk ${p.seconds} s at ${p.conns} connections per file, through QEMU's user network. The host column is empty: the phase compares the two kernels under the same program.`,
  );
}

function addLoadNotes(r: Results, note: string | undefined): void {
  const p = r.load?.plan;
  if (p !== undefined) {
    r.notes.push(
      `Load run (issue 4): express-hello with bench/guest/probe.cjs in BENCH_PROBE=serve mode (preloaded with NODE_OPTIONS; the app is unchanged), booted afresh per target; wrk ${p.warmupSeconds} s at ${p.conns} connections to warm up (not counted), GET ${MEMINFO_PATH} (answered by the probe ahead of the app, after a full V8 collection: the guest kernel's /proc/meminfo and node's RSS), wrk ${p.seconds} s at ${p.conns} connections, GET ${MEMINFO_PATH} again. PASS needs zero socket errors (connect, read, write, timeout), zero non-2xx (wrk counts statuses above 399) and memory after within ${MEMORY_DRIFT_LIMIT_PCT} % of before, either way: in a VM the guest's MemTotal − MemFree, on the host node's RSS (the host's own MemFree moves with everything else the machine runs). The host's RSS is the loosest of these figures: the host serves many times the requests of a VM in the same time, and V8's young generation and the allocator's arenas, part of RSS, are sized by that rate; V8's heap used after the collection is shown beside it.`,
      "Reading the counts: wrk checks every 2 s and adds one \"timeout\" for each connection whose current request has waited longer than --timeout (or that has not sent its first one yet), so one request stuck for 16 s counts 4 times, and one still unanswered when wrk stops is in no latency figure. The 5 % is of different bases: the microVM's MemTotal − MemFree holds its unpacked initramfs beside node, uninode's is little more than node's RSS (both shown), so the same growth of node is a larger share for uninode.",
      "Why wrk runs with --timeout 10s and after a warm-up: Node 20's libuv accepts one connection per event-loop iteration (strace of node on the host shows it too). Under TCG an iteration with 50 busy connections takes about 100 ms, so the 50th connection gets its first response about 4.5 s after wrk starts, which wrk's default 2 s timeout reports as \"timeout\" socket errors. Under KVM an iteration is about 50× faster.",
    );
  }
  const unquiet = r.loads.filter(([, l]) => !l.quiet).map(([n]) => n);
  if (unquiet.length > 0) r.notes.push(`The machine was not quiet before ${unquiet.join(", ")} (see the load line above): other work shared its CPUs, and throughput and timings move with it.`);
  if (note !== undefined) r.notes.push(note);
}

/** This machine's paths have no place in the results: the repository becomes ".", temp dirs "$TMPDIR". */
export function scrubPaths(text: string, root: string, tmp = os.tmpdir()): string {
  return text.split(`${root}/`).join("").split(root).join(".").split(tmp).join("$TMPDIR");
}

async function emit(r: Results, o: BenchOptions, root: string, log: (s: string) => void): Promise<void> {
  process.stdout.write(`${scrubPaths(renderTable(r), root)}\n`);
  const file = o.results ?? (o.dryRun ? undefined : path.join(root, "bench", "RESULTS.md"));
  if (file !== undefined) {
    const existing = await readFile(file, "utf8").catch(() => undefined);
    await writeFile(file, scrubPaths(mergeResults(existing, r), root));
    log(`bench: wrote ${path.relative(process.cwd(), file) || file}`);
  }
}

/** The bench's own code paths, fast: no setup, no VM, one host run. */
async function dryRun(o: BenchOptions, plan: Plan, accel: "kvm" | "tcg", reason: string, log: (s: string) => void): Promise<Results> {
  const root = repoRoot();
  const tmp = await mkdtemp(path.join(os.tmpdir(), "uninode-bench-dry-"));
  try {
    log(`bench: dry run (${o.quick ? "quick" : "full"} plan: ${plan.reps} repetitions, wrk ${plan.wrkConns.join("/")} connections for ${plan.wrkSeconds} s)`);
    // The cpio writer on a small tree.
    await mkdir(path.join(tmp, "tree", "app"), { recursive: true });
    await writeFile(path.join(tmp, "tree", "app", "x.js"), "console.log(1)\n");
    const cpioSize = await writeCpio(path.join(tmp, "t.cpio"), await treeEntries(path.join(tmp, "tree")));
    // QEMU's command lines for both VMs, as data.
    const user = { kind: "user" as const, forwards: [{ proto: "tcp" as const, hostAddress: "127.0.0.1", hostPort: 18080, guestPort: 3000 }] };
    const args = [
      vmArgs({ target: "linux-microvm", kernel: "vmlinuz", cmdline: microvmCmdline("10.0.2.15/24,10.0.2.2"), initrd: "t.cpio" }, { memory: "512M", accel, net: user, workDir: tmp, icount: true, plugin: { so: "p.so", out: "n" } }),
      vmArgs({ target: "uninode", kernel: "kernel.elf", cmdline: "stdin=null", root: { file: "x.img", offset: 4096, size: 8192 } }, { memory: "512M", accel, net: { kind: "tap", ifname: "bt0" }, workDir: tmp }),
    ];
    if (!args.every((a) => a.includes("-M") && a.includes("virtio-net-pci,netdev=net0"))) throw new Error("QEMU arguments lack the machine or the NIC");
    // The parsers, on the output they read.
    parseWrk(SAMPLE_WRK);
    const sys = parseSyscallOutput("getppid 10 700.0\nclock_gettime 10 50.0\n");
    // One real host run of `node -e`.
    const stub = { workloads: {} as Record<string, Workload> } as unknown as Prepared;
    for (const w of WORKLOADS) (stub.workloads as Record<string, unknown>)[w] = { host: { file: "node", args: ["-e", "console.log(1)"], cwd: root, env: {} } };
    const t0 = performance.now();
    const s = await startTarget("host", "node-e", stub, { net: { kind: "none" }, memory: "512M", accel, workDir: tmp });
    const end = await s.done;
    if (end.status !== 0) throw new Error(`node -e on the host ended with ${JSON.stringify(end)}`);
    const hostSec = (performance.now() - t0) / 1000;
    // The load run's whole path on the host: a small server with the real serve probe
    // preloaded, a stand-in wrk printing the sample output, the probe's meminfo answers.
    const probe = path.join(root, "bench", "guest", "probe.cjs");
    const server = 'require("http").createServer((q, s) => s.end("ok")).listen(Number(process.env.PORT))';
    stub.workloads["probe-serve"] = {
      host: { file: process.execPath, args: ["-e", server], cwd: root, env: { NODE_OPTIONS: `--require=${probe}`, BENCH_PROBE: "serve" } },
    } as unknown as Workload;
    const fakeWrk = path.join(tmp, "wrk");
    await writeFile(fakeWrk, `#!/bin/sh\ncat <<'EOF'\n${SAMPLE_WRK}EOF\n`);
    await chmod(fakeWrk, 0o755);
    const ctx: PhaseContext = { prepared: { ...stub, wrk: fakeWrk }, accel, memory: "512M", memoryMiB: 512, reps: 1, workDir: tmp, log: () => undefined };
    const dryLoad = { conns: 50, warmupSeconds: 1, seconds: 1 };
    const hostLoad = await loadRun(ctx, "host", dryLoad);
    if ("na" in hostLoad) throw new Error(`the load run on the host failed: ${hostLoad.na}`);
    // The storage phase's host part with the real program, small; the VMs' disk arguments as data.
    const storageBin = path.join(tmp, "storage-program");
    await execa("gcc", ["-O2", "-o", storageBin, path.join(root, "bench", "c", "storage.c")]);
    const dryStorage: StoragePlan = { fsyncs: 5, seqMiB: 2, randSync: 5, randBuffered: 20, seconds: 5, volumeMiB: 16 };
    const storage = await storagePhase({ ...ctx, prepared: { ...ctx.prepared, storage: storageBin } }, dryStorage, ["host"], "dry run", false);
    if ("na" in storage.write.host || "na" in storage.read.host) throw new Error(`the storage phase on the host failed: ${describeStorage(storage.write.host, storage.read.host)}`);
    parseStorageOutput("storage seq_read mib=2.00 sec=0.1 mib_per_s=20.0\n");
    const disk = planMounts([{ kind: "volume", name: "bench", file: "v.img", target: STORAGE_DIR, readOnly: false }]);
    const withDisk = vmArgs({ target: "linux-microvm", kernel: "vmlinuz", cmdline: microvmCmdline(undefined), initrd: "t.cpio", volumes: disk.volumes }, { memory: "512M", accel, workDir: tmp });
    if (!withDisk.includes("virtio-blk-pci,drive=vol0,write-cache=on")) throw new Error("the storage phase's microVM lacks the volume's disk");
    const seen = await waitQuiet(0);
    const results: Results = {
      machine: await machineFacts(accel, reason, "(dry run)"),
      mode: o.quick ? "quick" : "full",
      dryRun: true,
      loads: [["dry run", seen]],
      nodeE: { host: { ok: summarize([hostSec])! }, "linux-microvm": na("dry run"), uninode: na("dry run") },
      syscalls: {
        getppidNs: { host: { ok: summarize([sys.getppid ?? 0])! }, "linux-microvm": na("dry run"), uninode: na("dry run") },
        clockNs: { host: { ok: summarize([sys.clock ?? 0])! }, "linux-microvm": na("dry run"), uninode: na("dry run") },
      },
      wrk: [{ net: "user", target: "host", cells: [{ conns: 50, result: { ok: parseWrk(SAMPLE_WRK) } }] }],
      load: {
        plan: dryLoad,
        runs: [
          { net: "user", target: "host", cell: hostLoad },
          { net: "user", target: "linux-microvm", cell: na("dry run") },
          { net: "user", target: "uninode", cell: na("dry run") },
        ],
      },
      storage,
      // The nginx rows as a real run fills them: the microVM's sample result, uninode's ratio to it.
      nginx: { plan: plan.nginx, runs: { "linux-microvm": NGINX_FILES.map(() => ({ ok: parseWrk(SAMPLE_WRK) })), uninode: NGINX_FILES.map(() => na<WrkResult>("dry run")) } },
      // The MariaDB rows likewise: mysqlslap's sample report parsed for the microVM.
      mariadb: { plan: plan.mariadb, init: { "linux-microvm": { ok: 30 }, uninode: na("dry run") }, slap: { "linux-microvm": slapSample(plan.mariadb.queries), uninode: na("dry run") } },
      notes: [`dry run: cpio writer ${cpioSize} bytes, ${args.length} QEMU command lines built, one host run of node -e, one load run on the host with wrk's sample output`],
    };
    await emit(results, o, root, log);
    return results;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export const SAMPLE_SLAP = `Benchmark
	Running for engine innodb
	Average number of seconds to run all queries: 12.345 seconds
	Minimum number of seconds to run all queries: 12.345 seconds
	Maximum number of seconds to run all queries: 12.345 seconds
	Number of clients running queries: 8
	Average number of queries per client: 125

`;

function slapSample(queries: number): { ok: NonNullable<ReturnType<typeof parseSlap>> } {
  const r = parseSlap(SAMPLE_SLAP, queries);
  if (r === undefined) throw new Error("mysqlslap's sample report no longer parses");
  return { ok: r };
}

export const SAMPLE_WRK = `Running 5s test @ http://127.0.0.1:8080/
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    10.37ms    2.10ms  40.12ms   90.00%
    Req/Sec     2.43k   200.00     2.80k    70.00%
  Latency Distribution
     50%   10.01ms
     75%   11.20ms
     90%   12.50ms
     99%   20.30ms
  24300 requests in 5.00s, 5.20MB read
Requests/sec:   4860.00
Transfer/sec:      1.04MB
`;

// Compiled and run as a program (npm run bench), not when imported by a test.
const invoked = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]);
if (invoked) {
  let opts: BenchOptions | "help";
  try {
    opts = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  if (opts === "help") {
    process.stdout.write(`${USAGE}\n`);
  } else {
    runBench(opts).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
        process.exit(1);
      },
    );
  }
}

