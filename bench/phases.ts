// The measurements, one function per phase. Each returns cells, never throws for a target that
// cannot do the thing (the cell says "n/a (why)"), and bounds every loop in count and time.

import { readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { execa } from "execa";
import { firstOk, httpGetText, nonZeroPages, parseWrk, requestsUntilGone, sequentialRequests, socketErrorTotal, summarize, type Summary, type WrkResult } from "./measure.js";
import { APP_PORT, MEMINFO_PATH, PROBE_REQUESTS, type Prepared, type WorkloadName } from "./setup.js";
import { TAP_NET, TARGETS, VM_TARGETS, startTarget, type NetChoice, type Started, type TargetName, type VmTargetName } from "./targets.js";
import { freePort, qmpCommand, type VmEnd } from "./vm.js";
import type { Accel } from "../src/vm/accel.js";

export type Cell<T> = { ok: T } | { na: string };
export const na = <T>(why: string): Cell<T> => ({ na: why });

export interface PhaseContext {
  prepared: Prepared;
  accel: Accel;
  memory: string;
  memoryMiB: number;
  reps: number;
  workDir: string;
  log: (s: string) => void;
}

/** The last meaningful line a failed program printed, for an n/a reason. */
export function lastLine(output: string): string {
  const lines = output
    .replace(/\r/g, "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^\[\s*\d+\.\d+\]/.test(l));
  const line = lines.at(-1) ?? "no output";
  return line.length > 100 ? `${line.slice(0, 97)}...` : line;
}

async function why(s: Started, fallback: string): Promise<string> {
  const end = await Promise.race([s.done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000))]);
  const out = lastLine(await s.output());
  if (end?.status !== undefined) return `exited ${end.status}: ${out}`;
  if (end?.reason) return `${end.reason}; ${out}`;
  return fallback;
}

/** How a program ended, or a reason once `ms` have passed (then QEMU or the process is killed). */
export async function endWithin(s: Started, ms: number): Promise<VmEnd> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
  const end = await Promise.race([s.done, late]);
  clearTimeout(timer);
  if (end !== undefined) return end;
  await s.kill();
  return { reason: `still running after ${Math.round(ms / 1000)} s` };
}

/** Launch to exit of `node -e "console.log(1)"`, in seconds. */
export async function bootToExit(ctx: PhaseContext): Promise<Record<TargetName, Cell<Summary>>> {
  const out = {} as Record<TargetName, Cell<Summary>>;
  for (const t of TARGETS) {
    const samples: number[] = [];
    let failure: string | undefined;
    for (let i = 0; i < ctx.reps && failure === undefined; i++) {
      const t0 = performance.now();
      const s = await startTarget(t, "node-e", ctx.prepared, { net: { kind: "none" }, memory: ctx.memory, accel: ctx.accel, workDir: path.join(ctx.workDir, t) });
      const end = await endWithin(s, 180_000);
      const dt = (performance.now() - t0) / 1000;
      const printed = await s.output();
      if (end.status === 0 && /^1$/m.test(printed)) samples.push(dt);
      else failure = end.status !== undefined ? `exited ${end.status}: ${lastLine(printed)}` : `${end.reason}`;
    }
    out[t] = failure !== undefined ? na(failure) : { ok: summarize(samples)! };
    ctx.log(`  node -e  ${t}: ${describe(out[t])}`);
  }
  return out;
}

export interface ExpressBoot {
  firstOk: Record<TargetName, Cell<Summary>>;
  /** Guest pages not all zero after the first 200 (MiB), by VM target. */
  touchedMiB: Record<VmTargetName, Cell<number>>;
  /** wrk over the user network (the host: loopback), run in the last repetition's VM. */
  wrk: Record<TargetName, WrkCell[]>;
}

export interface WrkPlan {
  conns: readonly number[];
  seconds: number;
}

/**
 * Launch to the first HTTP 200 of express-hello. The last repetition goes on: it dumps guest
 * memory and runs wrk at each connection count, so the load test needs no boot of its own.
 */
export async function bootToFirstOk(ctx: PhaseContext, wrkPlan: WrkPlan): Promise<ExpressBoot> {
  const first = {} as Record<TargetName, Cell<Summary>>;
  const touched = {} as Record<VmTargetName, Cell<number>>;
  const wrk = {} as Record<TargetName, WrkCell[]>;
  for (const t of TARGETS) {
    const samples: number[] = [];
    let failure: string | undefined;
    for (let i = 0; i < ctx.reps && failure === undefined; i++) {
      const port = await freePort();
      const qmp = t === "host" ? undefined : path.join(ctx.workDir, `${t}.qmp`);
      const last = i === ctx.reps - 1;
      const t0 = performance.now();
      const s = await startTarget(t, "express", ctx.prepared, {
        net: { kind: "user", hostPort: port },
        memory: ctx.memory,
        accel: ctx.accel,
        workDir: path.join(ctx.workDir, t),
        ...(qmp ? { qmp } : {}),
      });
      const at = await firstOk(`http://127.0.0.1:${port}/`, s.done, 180_000);
      if (at === undefined) failure = await why(s, "no HTTP 200 within 180 s");
      else samples.push((at - t0) / 1000);
      if (at !== undefined && last) {
        if (qmp && t !== "host") touched[t] = await touchedMemory(qmp, ctx);
        wrk[t] = await wrkLevels(ctx, t, "user", `http://127.0.0.1:${port}/`, wrkPlan);
      }
      await s.kill();
    }
    first[t] = failure !== undefined ? na(failure) : { ok: summarize(samples)! };
    if (t !== "host" && touched[t] === undefined) touched[t] = na(failure ?? "not measured");
    wrk[t] ??= wrkPlan.conns.map((c) => ({ conns: c, result: na(failure ?? "not measured") }));
    ctx.log(`  express  ${t}: ${describe(first[t])}`);
  }
  return { firstOk: first, touchedMiB: touched, wrk };
}

/** Dumps guest RAM over QMP and counts the 4 KiB pages that are not all zero, in MiB. */
async function touchedMemory(qmp: string, ctx: PhaseContext): Promise<Cell<number>> {
  const file = path.join(ctx.workDir, "guest-ram.bin");
  try {
    // Below 2 GiB, q35 maps all of RAM from physical address 0 (less the PCI hole above it).
    await qmpCommand(qmp, "pmemsave", { val: 0, size: ctx.memoryMiB * 1024 * 1024, filename: file });
    const buf = await readFile(file);
    return { ok: (nonZeroPages(buf) * 4096) / (1024 * 1024) };
  } catch (err) {
    return na(`pmemsave failed: ${(err as Error).message}`);
  } finally {
    await rm(file, { force: true });
  }
}

export interface SyscallCost {
  getppidNs: Record<TargetName, Cell<Summary>>;
  clockNs: Record<TargetName, Cell<Summary>>;
}

export function parseSyscallOutput(text: string): { getppid?: number; clock?: number } {
  const g = /^getppid \d+ ([\d.]+)/m.exec(text);
  const c = /^clock_gettime \d+ ([\d.]+)/m.exec(text);
  return { ...(g ? { getppid: Number(g[1]) } : {}), ...(c ? { clock: Number(c[1]) } : {}) };
}

export async function syscallCost(ctx: PhaseContext, reps: number): Promise<SyscallCost> {
  const res: SyscallCost = { getppidNs: {} as SyscallCost["getppidNs"], clockNs: {} as SyscallCost["clockNs"] };
  for (const t of TARGETS) {
    const g: number[] = [];
    const c: number[] = [];
    let failure: string | undefined;
    for (let i = 0; i < reps && failure === undefined; i++) {
      const s = await startTarget(t, "syscalls", ctx.prepared, { net: { kind: "none" }, memory: ctx.memory, accel: ctx.accel, workDir: path.join(ctx.workDir, t) });
      const end = await endWithin(s, 300_000);
      const parsed = parseSyscallOutput(await s.output());
      if (end.status === 0 && parsed.getppid !== undefined && parsed.clock !== undefined) {
        g.push(parsed.getppid);
        c.push(parsed.clock);
      } else failure = end.status !== undefined ? `exited ${end.status}: ${lastLine(await s.output())}` : `${end.reason}`;
    }
    res.getppidNs[t] = failure !== undefined ? na(failure) : { ok: summarize(g)! };
    res.clockNs[t] = failure !== undefined ? na(failure) : { ok: summarize(c)! };
    ctx.log(`  syscalls ${t}: getppid ${describe(res.getppidNs[t])} ns, clock_gettime ${describe(res.clockNs[t])} ns`);
  }
  return res;
}

export interface GuestMemory {
  /** MemTotal − MemFree, KiB. */
  usedKiB: number;
  /** MemTotal − MemAvailable, KiB. */
  unavailableKiB: number;
  /** node's resident set, KiB. */
  rssKiB: number;
}

export interface InsnCounts {
  nodeE: Record<VmTargetName, Cell<Summary>>;
  toListen: Record<VmTargetName, Cell<Summary>>;
  /** Per repetition: (reset → 1,000th request) − (reset → listen). */
  requests: Record<VmTargetName, Cell<Summary>>;
  /** The guest kernel's /proc/meminfo at listen(), printed by the probe (first repetition). */
  memAtListen: Record<VmTargetName, Cell<GuestMemory>>;
}

export function parseProbeMeminfo(text: string): GuestMemory | undefined {
  const m = /bench-probe meminfo total=(\d+) free=(\d+) available=(\d+) rss=(\d+)/.exec(text);
  if (!m) return undefined;
  const [total, free, available, rss] = [m[1], m[2], m[3], m[4]].map(Number) as [number, number, number, number];
  return { usedKiB: total - free, unavailableKiB: total - available, rssKiB: rss };
}

/** Repeats a count `reps` times; the first failure ends it with that reason. */
async function repeatCount(reps: number, run: (i: number) => Promise<Cell<number>>): Promise<{ cell: Cell<Summary>; values: number[] }> {
  const values: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c = await run(i);
    if ("na" in c) return { cell: c, values };
    values.push(c.ok);
  }
  return { cell: { ok: summarize(values)! }, values };
}

/**
 * Guest instructions under -icount shift=0: to `node -e`'s exit, to listen(), and for 1,000
 * requests, each `reps` times (the spread shows how far the figure is from deterministic).
 */
export async function instructionCounts(ctx: PhaseContext, withListen: boolean, withRequests: boolean, reps: number): Promise<InsnCounts> {
  const res: InsnCounts = {
    nodeE: {} as InsnCounts["nodeE"],
    toListen: {} as InsnCounts["toListen"],
    requests: {} as InsnCounts["requests"],
    memAtListen: {} as InsnCounts["memAtListen"],
  };
  for (const t of VM_TARGETS) {
    res.nodeE[t] = (await repeatCount(reps, async () => (await countRun(ctx, t, "node-e", false)).count)).cell;
    let listenValues: number[] = [];
    if (withListen || withRequests) {
      const r = await repeatCount(reps, async (i) => {
        const run = await countRun(ctx, t, "probe-listen", false);
        if (i === 0) {
          const mem = parseProbeMeminfo(run.output);
          res.memAtListen[t] = mem ? { ok: mem } : na("na" in run.count ? run.count.na : "the probe printed no meminfo");
        }
        return run.count;
      });
      res.toListen[t] = r.cell;
      listenValues = r.values;
      res.memAtListen[t] ??= na("not measured");
    } else {
      res.toListen[t] = na("full run only");
      res.memAtListen[t] = na("full run only");
    }
    if (!withRequests) res.requests[t] = na("full run only");
    else if ("na" in res.toListen[t]) res.requests[t] = res.toListen[t];
    else {
      res.requests[t] = (
        await repeatCount(reps, async (i) => {
          const total = (await countRun(ctx, t, "probe-1000", true)).count;
          return "ok" in total ? { ok: total.ok - listenValues[i]! } : total;
        })
      ).cell;
    }
    ctx.log(`  insns    ${t}: node -e ${describe(res.nodeE[t])}, to listen ${describe(res.toListen[t])}, ${PROBE_REQUESTS} requests ${describe(res.requests[t])}`);
  }
  return res;
}

async function countRun(ctx: PhaseContext, t: VmTargetName, w: WorkloadName, requests: boolean): Promise<{ count: Cell<number>; output: string }> {
  const c = await countRunInner(ctx, t, w, requests);
  return { count: c.count, output: c.started ? await c.started.output() : "" };
}

async function countRunInner(ctx: PhaseContext, t: VmTargetName, w: WorkloadName, requests: boolean): Promise<{ count: Cell<number>; started?: Started }> {
  const insnOut = path.join(ctx.workDir, `${t}-${w}.insns`);
  await rm(insnOut, { force: true });
  const port = await freePort();
  const net: NetChoice = requests ? { kind: "user", hostPort: port } : { kind: "none" };
  const s = await startTarget(t, w, ctx.prepared, { net, memory: ctx.memory, accel: ctx.accel, icount: true, insnOut, workDir: path.join(ctx.workDir, t) });
  if (requests) {
    const at = await firstOk(`http://127.0.0.1:${port}/`, s.done, 300_000, 50);
    if (at === undefined) {
      const reason = await why(s, "no HTTP 200 within 300 s");
      await s.kill();
      return { count: na(reason), started: s };
    }
    // The probe counts the poll's request too and ends the app at the 1,000th; requests go on
    // (one keep-alive connection, failures retried) until it has.
    await requestsUntilGone(`http://127.0.0.1:${port}/`, s.done, PROBE_REQUESTS * 2, 300_000);
  }
  const end = await Promise.race([s.done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 300_000))]);
  if (end === undefined) {
    await s.kill();
    return { count: na("did not exit within 300 s"), started: s };
  }
  if (end.status !== 0) return { count: na(end.status !== undefined ? `exited ${end.status}: ${lastLine(await s.output())}` : `${end.reason}`), started: s };
  const text = await readFile(insnOut, "utf8").catch(() => "");
  const n = Number(text.trim());
  return { count: text.trim() !== "" && Number.isFinite(n) ? { ok: n } : na("the plugin wrote no count"), started: s };
}

/** Smallest -m (MiB) at which express-hello still answers 1,000 requests, by bisection. */
export async function memoryFloor(ctx: PhaseContext, t: VmTargetName, loMiB: number, hiMiB: number, stepMiB: number): Promise<Cell<number>> {
  const works = async (mib: number): Promise<boolean | string> => {
    const port = await freePort();
    const s = await startTarget(t, "express", ctx.prepared, { net: { kind: "user", hostPort: port }, memory: `${mib}M`, accel: ctx.accel, workDir: path.join(ctx.workDir, t) });
    try {
      const at = await firstOk(`http://127.0.0.1:${port}/`, s.done, 180_000, 50);
      if (at === undefined) return await why(s, "no HTTP 200 within 180 s");
      return (await sequentialRequests(`http://127.0.0.1:${port}/`, 1000, 180_000)) === 1000;
    } finally {
      await s.kill();
    }
  };
  const top = await works(hiMiB);
  if (top !== true) return na(typeof top === "string" ? top : `fails at ${hiMiB} MiB`);
  let lo = loMiB; // assumed to fail
  let hi = hiMiB; // known to work
  for (let i = 0; i < 12 && hi - lo > stepMiB; i++) {
    const mid = Math.round((lo + hi) / 2);
    const ok = (await works(mid)) === true;
    ctx.log(`  memory   ${t}: ${mid} MiB ${ok ? "works" : "fails"}`);
    if (ok) hi = mid;
    else lo = mid;
  }
  return { ok: hi };
}

export interface WrkCell {
  conns: number;
  result: Cell<WrkResult>;
}

/** One wrk run against a server that already answers; run inside `netns` when given. */
export async function runWrk(ctx: PhaseContext, conns: number, seconds: number, url: string, netns?: string): Promise<Cell<WrkResult>> {
  const wrk = ctx.prepared.wrk;
  if (wrk === undefined) return na("wrk is not installed");
  // --timeout 10s: under TCG the last of 50 new connections waits seconds for its first answer
  // (Node accepts one connection per event-loop turn); wrk's default 2 s would call it lost.
  const args = ["-t", String(Math.min(2, conns)), "-c", String(conns), "-d", `${seconds}s`, "--timeout", "10s", "--latency", url];
  const cmd = netns === undefined ? [wrk, ...args] : ["ip", "netns", "exec", netns, wrk, ...args];
  const r = await execa(cmd[0]!, cmd.slice(1), { reject: false, timeout: (seconds + 30) * 1000 });
  try {
    return { ok: parseWrk(r.stdout) };
  } catch {
    return na(`wrk failed: ${lastLine(r.stderr || r.stdout)}`);
  }
}

/** wrk at each connection count against a server that already answers. */
async function wrkLevels(ctx: PhaseContext, t: TargetName, net: "user" | "tap", url: string, plan: WrkPlan, netns?: string): Promise<WrkCell[]> {
  const cells: WrkCell[] = [];
  for (const c of plan.conns) {
    const result = await runWrk(ctx, c, plan.seconds, url, netns);
    cells.push({ conns: c, result });
    ctx.log(`  wrk ${net} ${t} -c${c}: ${describeWrk(result)}`);
  }
  return cells;
}

export interface LoadPlan {
  conns: number;
  warmupSeconds: number;
  seconds: number;
}

/** What the serve probe answers at MEMINFO_PATH, after a full collection (KiB). */
export interface MemReading {
  totalKiB: number;
  freeKiB: number;
  availableKiB: number;
  rssKiB: number;
  heapUsedKiB: number;
}

export function parseMemReading(text: string): MemReading | undefined {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const n = (k: string) => (typeof j[k] === "number" && Number.isFinite(j[k]) ? (j[k] as number) : undefined);
  const [total, free, available, rss, heap] = ["total", "free", "available", "rss", "heapUsed"].map(n);
  if (total === undefined || free === undefined || available === undefined || rss === undefined) return undefined;
  return { totalKiB: total, freeKiB: free, availableKiB: available, rssKiB: rss, heapUsedKiB: heap ?? 0 };
}

/** The issue's bar: memory after the run within this share of before, either way. */
export const MEMORY_DRIFT_LIMIT_PCT = 5;

export interface LoadRun {
  warmup: WrkResult;
  wrk: WrkResult;
  before: MemReading;
  after: MemReading;
  /** What the memory check compares: in a VM the guest kernel's MemTotal − MemFree; on the
   * host node's RSS (the host's MemFree moves with everything else running there). */
  basis: "guest-used" | "rss";
  beforeKiB: number;
  afterKiB: number;
  driftPct: number;
  pass: { socket: boolean; non2xx: boolean; memory: boolean };
}

/** The three conditions of the load run, from wrk's result and the two readings. */
export function judgeLoad(warmup: WrkResult, wrk: WrkResult, before: MemReading, after: MemReading, basis: LoadRun["basis"]): LoadRun {
  const figure = (m: MemReading) => (basis === "rss" ? m.rssKiB : m.totalKiB - m.freeKiB);
  const beforeKiB = figure(before);
  const afterKiB = figure(after);
  const driftPct = beforeKiB > 0 ? ((afterKiB - beforeKiB) / beforeKiB) * 100 : Number.POSITIVE_INFINITY;
  return {
    warmup,
    wrk,
    before,
    after,
    basis,
    beforeKiB,
    afterKiB,
    driftPct,
    pass: { socket: socketErrorTotal(wrk.socket) === 0, non2xx: wrk.non2xx === 0, memory: Math.abs(driftPct) <= MEMORY_DRIFT_LIMIT_PCT },
  };
}

async function readMem(url: string, netns: string | undefined): Promise<MemReading | string> {
  // A full collection in a guest under TCG can take seconds on a loaded machine.
  let got: { status: number; body: string } | undefined;
  if (netns === undefined) got = await httpGetText(url, 120_000);
  else {
    const r = await execa("ip", ["netns", "exec", netns, "curl", "-s", "-m", "120", "-w", "\n%{http_code}", url], { reject: false });
    const nl = r.stdout.lastIndexOf("\n");
    if (r.exitCode === 0 && nl >= 0) got = { status: Number(r.stdout.slice(nl + 1)), body: r.stdout.slice(0, nl) };
  }
  if (got === undefined) return `no answer from ${MEMINFO_PATH}`;
  const m = got.status === 200 ? parseMemReading(got.body) : undefined;
  return m ?? `${MEMINFO_PATH} answered ${got.status}: ${got.body.slice(0, 80)}`;
}

/**
 * The load run of one target: express-hello with the serve probe, a warm-up so V8's heap and
 * JIT settle, memory read, wrk for the measured run, memory read again.
 */
export async function loadRun(ctx: PhaseContext, t: TargetName, plan: LoadPlan, netns?: string): Promise<Cell<LoadRun>> {
  const net = netns === undefined ? "user" : "tap";
  if (t === "host" && netns !== undefined) return na("the host has no tap");
  const port = netns === undefined ? await freePort() : APP_PORT;
  const base = netns === undefined ? `http://127.0.0.1:${port}` : `http://${TAP_NET.guestAddr}:${APP_PORT}`;
  const url = `${base}/`;
  const choice: NetChoice = netns === undefined ? { kind: "user", hostPort: port } : { kind: "tap", netns };
  const s = await startTarget(t, "probe-serve", ctx.prepared, { net: choice, memory: ctx.memory, accel: ctx.accel, workDir: path.join(ctx.workDir, t) });
  try {
    const ready = netns === undefined ? await firstOk(url, s.done, 180_000, 50) : await firstOkInNs(netns, url, s.done, 180_000);
    if (ready === undefined) return na(await why(s, "no HTTP 200 within 180 s"));
    const warm = await runWrk(ctx, plan.conns, plan.warmupSeconds, url, netns);
    if ("na" in warm) return na(`warm-up: ${warm.na}`);
    ctx.log(`  load ${net} ${t} warm-up ${plan.warmupSeconds} s: ${describeWrk(warm)}`);
    const before = await readMem(`${base}${MEMINFO_PATH}`, netns);
    if (typeof before === "string") return na(`before: ${before}`);
    const run = await runWrk(ctx, plan.conns, plan.seconds, url, netns);
    if ("na" in run) return na(run.na);
    const after = await readMem(`${base}${MEMINFO_PATH}`, netns);
    if (typeof after === "string") return na(`after: ${after}`);
    const res = judgeLoad(warm.ok, run.ok, before, after, t === "host" ? "rss" : "guest-used");
    ctx.log(`  load ${net} ${t}: ${describeLoad(res)}`);
    return { ok: res };
  } finally {
    await s.kill();
  }
}

export const passFail = (ok: boolean): string => (ok ? "PASS" : "FAIL");

export function describeLoad(r: LoadRun): string {
  const mib = (k: number) => (k / 1024).toFixed(1);
  const sign = r.driftPct >= 0 ? "+" : "";
  return (
    `${r.wrk.requestsPerSec.toFixed(0)} req/s; socket errors ${socketErrorTotal(r.wrk.socket)} ${passFail(r.pass.socket)}; ` +
    `non-2xx ${r.wrk.non2xx} ${passFail(r.pass.non2xx)}; ${r.basis === "rss" ? "RSS" : "MemTotal−MemFree"} ${mib(r.beforeKiB)} → ${mib(r.afterKiB)} MiB ` +
    `(${sign}${r.driftPct.toFixed(1)} %) ${passFail(r.pass.memory)}`
  );
}

/** express-hello in a VM on the namespace's tap, loaded by wrk run inside the namespace. */
export async function wrkOverTap(ctx: PhaseContext, t: VmTargetName, plan: WrkPlan, netns: string): Promise<WrkCell[]> {
  const url = `http://${TAP_NET.guestAddr}:3000/`;
  const s = await startTarget(t, "express", ctx.prepared, { net: { kind: "tap", netns }, memory: ctx.memory, accel: ctx.accel, workDir: path.join(ctx.workDir, t) });
  try {
    const ready = await firstOkInNs(netns, url, s.done, 180_000);
    if (ready === undefined) {
      const reason = await why(s, "no HTTP 200 within 180 s");
      return plan.conns.map((c) => ({ conns: c, result: na(reason) }));
    }
    return await wrkLevels(ctx, t, "tap", url, plan, netns);
  } finally {
    await s.kill();
  }
}

/** firstOk from inside the namespace: curl there, polled (the bench itself stays outside). */
async function firstOkInNs(netns: string, url: string, gone: Promise<unknown>, deadlineMs: number): Promise<number | undefined> {
  let ended = false;
  void gone.then(() => (ended = true));
  const deadline = performance.now() + deadlineMs;
  while (!ended && performance.now() < deadline) {
    const r = await execa("ip", ["netns", "exec", netns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "2", url], { reject: false });
    if (r.stdout.trim() === "200") return performance.now();
    await new Promise((res) => setTimeout(res, 100));
  }
  return undefined;
}

/** Creates the namespace with the tap QEMU opens; returns a function removing it. */
export async function createTapNamespace(name: string): Promise<() => Promise<void>> {
  const ip = (...a: string[]) => execa("ip", a);
  await ip("netns", "add", name);
  const remove = async () => {
    await execa("ip", ["netns", "del", name], { reject: false });
  };
  let dhcp: ReturnType<typeof execa> | undefined;
  const removeAll = async () => {
    dhcp?.kill("SIGKILL");
    await dhcp?.catch(() => undefined);
    await remove();
  };
  try {
    await ip("-n", name, "link", "set", "lo", "up");
    await ip("-n", name, "tuntap", "add", "dev", TAP_NET.ifname, "mode", "tap");
    await ip("-n", name, "addr", "add", `${TAP_NET.hostAddr}/${TAP_NET.prefix}`, "dev", TAP_NET.ifname);
    await ip("-n", name, "link", "set", TAP_NET.ifname, "up");
    // uninode asks for its address by DHCP; this answers it, inside the namespace only.
    const server = fileURLToPath(new URL("./dhcp.js", import.meta.url));
    dhcp = execa("ip", ["netns", "exec", name, process.execPath, server, "--server", TAP_NET.hostAddr, "--client", TAP_NET.guestAddr, "--prefix", String(TAP_NET.prefix), "--seconds", "1800"], {
      reject: false,
      stdio: "ignore",
    });
  } catch (err) {
    await removeAll();
    throw err;
  }
  return removeAll;
}

export function describe(c: Cell<Summary> | Cell<number>): string {
  if ("na" in c) return `n/a (${c.na})`;
  const v = c.ok;
  return typeof v === "number" ? v.toFixed(2) : `${v.median.toFixed(3)} [${v.min.toFixed(3)}–${v.max.toFixed(3)}]`;
}

export function describeWrk(c: Cell<WrkResult>): string {
  if ("na" in c) return `n/a (${c.na})`;
  return `${c.ok.requestsPerSec.toFixed(0)} req/s, p50 ${c.ok.p50Ms.toFixed(2)} ms, p99 ${c.ok.p99Ms.toFixed(2)} ms${c.ok.errors ? `, ${c.ok.errors} errors` : ""}`;
}

export async function fileSize(p: string): Promise<number> {
  return (await stat(p)).size;
}
