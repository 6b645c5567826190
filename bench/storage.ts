// The storage phase (issue 10): c/storage.c times fsync, sequential writes and reads and 4 KiB
// random writes on the host (a directory beside the volume files), and in both VMs on a volume
// `uninode volume create` made, attached as `uninode run -v NAME:/data` attaches it (the same
// -blockdev/-device options: virtio-blk, write cache on, QEMU's writeback cache with flushes
// passed through). Each VM boots twice on its volume: the first boot writes, the second reads the
// file the first wrote, so its guest page cache has never held it; between the two the volume
// file is dropped from the host's page cache, so the read comes from the host's disk, as the
// host's own read does.

import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { readVolume } from "../src/vm/volumes.js";
import { endWithin, lastLine, na, type Cell, type PhaseContext } from "./phases.js";
import { repoRoot } from "./paths.js";
import { storageArgs, type StoragePlan, type StorageWorkloadName } from "./setup.js";
import { TARGETS, startTarget, type TargetName, type VmTargetName } from "./targets.js";

export interface StorageWrite {
  fsyncs: number;
  fsyncMedianUs: number;
  fsyncP99Us: number;
  seqWriteMiB: number;
  seqWriteMiBps: number;
  randSyncOps: number;
  randSyncIops: number;
  randBufferedOps: number;
  randBufferedIops: number;
}

export interface StorageRead {
  mib: number;
  mibps: number;
}

export interface StorageResults {
  plan: StoragePlan;
  write: Record<TargetName, Cell<StorageWrite>>;
  read: Record<TargetName, Cell<StorageRead>>;
  /** e2fsck -fn of each VM's volume after its two boots: "clean" or what it said. */
  fsck: Record<VmTargetName, string>;
  /** A third boot per VM, the write boot again on a fresh volume whose writes and flushes QEMU's
   * blklogwrites records: the flushes the device got against the program's fsync/fdatasync calls. */
  flushes?: Record<VmTargetName, Cell<{ flushes: number; syncCalls: number }>>;
}

/** The program's fsync/fdatasync calls in a write run: the appends' fsyncs, the sequential
 * file's, the durable random writes' fdatasyncs, the buffered ones' fsync, two directory fsyncs. */
export const syncCalls = (w: StorageWrite): number => w.fsyncs + 1 + w.randSyncOps + 1 + 2;

const LOG_MAGIC = 0x6a736677736872n;
const LOG_FLUSH = 1;
const LOG_DISCARD = 4;

/** Flush requests in a blklogwrites log (dm-log-writes format: a superblock sector, then per
 * entry a header sector and its data sectors, none for a discard); undefined if it is not one. */
export function countLogFlushes(log: Buffer): number | undefined {
  if (log.length < 32 || log.readBigUInt64LE(0) !== LOG_MAGIC) return undefined;
  const sector = log.readUInt32LE(24);
  if (sector < 512) return undefined;
  let flushes = 0;
  for (let at = sector; at + sector <= log.length; ) {
    const n = Number(log.readBigUInt64LE(at + 8));
    const flags = Number(log.readBigUInt64LE(at + 16));
    if (flags & ~0xf) break; // past the last entry
    if (flags & LOG_FLUSH) flushes++;
    at += sector + (flags & LOG_DISCARD ? 0 : n * sector);
  }
  return flushes;
}

const num = (m: RegExpExecArray | null, i: number): number | undefined => (m ? Number(m[i]) : undefined);

/** c/storage.c's lines, parsed: the write figures when all four are there, the read figure, or the error it printed. */
export function parseStorageOutput(text: string): { write?: StorageWrite; read?: StorageRead; error?: string } {
  const err = /^storage error (.*)$/m.exec(text);
  const f = /^storage fsync n=(\d+) median_us=([\d.]+) p99_us=([\d.]+)/m.exec(text);
  const s = /^storage seq_write mib=(\d+) sec=[\d.]+ mib_per_s=([\d.]+)/m.exec(text);
  const rs = /^storage rand_sync n=(\d+) sec=[\d.]+ iops=([\d.]+)/m.exec(text);
  const rb = /^storage rand_buffered n=(\d+) sec=[\d.]+ iops=([\d.]+)/m.exec(text);
  const rd = /^storage seq_read mib=([\d.]+) sec=[\d.]+ mib_per_s=([\d.]+)/m.exec(text);
  const out: { write?: StorageWrite; read?: StorageRead; error?: string } = {};
  if (err) out.error = err[1]!.trim();
  if (f && s && rs && rb) {
    out.write = {
      fsyncs: num(f, 1)!,
      fsyncMedianUs: num(f, 2)!,
      fsyncP99Us: num(f, 3)!,
      seqWriteMiB: num(s, 1)!,
      seqWriteMiBps: num(s, 2)!,
      randSyncOps: num(rs, 1)!,
      randSyncIops: num(rs, 2)!,
      randBufferedOps: num(rb, 1)!,
      randBufferedIops: num(rb, 2)!,
    };
  }
  if (rd) out.read = { mib: num(rd, 1)!, mibps: num(rd, 2)! };
  return out;
}

/** How long one boot may take: the program's four time-bounded tests, plus boot and slack. */
const bootBudgetMs = (plan: StoragePlan) => (4 * plan.seconds + 240) * 1000;

async function hostRun(ctx: PhaseContext, plan: StoragePlan, dir: string): Promise<{ write: Cell<StorageWrite>; read: Cell<StorageRead> }> {
  const bin = ctx.prepared.storage;
  const run = async (args: string[]) => execa(bin, args, { reject: false, all: true, stdin: "ignore", timeout: bootBudgetMs(plan) });
  const w = await run(storageArgs("write", dir, plan));
  const pw = parseStorageOutput(String(w.all ?? ""));
  if (w.exitCode !== 0 || pw.write === undefined) {
    const why = na<never>(pw.error ?? (w.exitCode === undefined ? (w.shortMessage ?? "did not start") : `exited ${w.exitCode}: ${lastLine(String(w.all ?? ""))}`));
    return { write: why, read: why };
  }
  // The host has no second boot: the program drops the file's pages (fadvise) before reading.
  const r = await run(storageArgs("read", dir, plan, true));
  const pr = parseStorageOutput(String(r.all ?? ""));
  return { write: { ok: pw.write }, read: r.exitCode === 0 && pr.read ? { ok: pr.read } : na(pr.error ?? (r.exitCode === undefined ? (r.shortMessage ?? "did not start") : `exited ${r.exitCode}: ${lastLine(String(r.all ?? ""))}`)) };
}

/** A fresh volume made by the CLI, as a user makes one, under the phase's own XDG_DATA_HOME. */
export async function createVolume(name: string, mib: number, xdg: string): Promise<string> {
  const env = { ...process.env, XDG_DATA_HOME: xdg };
  const root = repoRoot();
  const r = await execa(process.execPath, [path.join(root, "dist", "cli.js"), "volume", "create", name, "--size", `${mib}M`], { cwd: root, env, reject: false, all: true });
  if (r.exitCode !== 0) throw new Error(`uninode volume create failed: ${lastLine(String(r.all ?? ""))}`);
  const v = await readVolume(name, env);
  if (v === undefined) throw new Error(`uninode volume create made no volume ${name}`);
  return v.file;
}

/** One boot of `w` on the volume: the program's output, or why there is none. */
async function vmBoot(ctx: PhaseContext, t: VmTargetName, w: StorageWorkloadName, volume: string, plan: StoragePlan, writeLog?: string): Promise<{ text: string; failure?: string }> {
  const s = await startTarget(t, w, ctx.prepared, {
    net: { kind: "none" },
    memory: ctx.memory,
    accel: ctx.accel,
    workDir: path.join(ctx.workDir, `${t}-${w}`),
    volume,
    ...(writeLog ? { volumeWriteLog: writeLog } : {}),
  });
  const end = await endWithin(s, bootBudgetMs(plan));
  const text = await s.output();
  if (end.status === 0) return { text };
  const printed = parseStorageOutput(text).error;
  return { text, failure: printed ?? (end.status !== undefined ? `exited ${end.status}: ${lastLine(text)}` : `${end.reason}`) };
}

async function fsckOf(file: string): Promise<string> {
  const r = await execa("e2fsck", ["-fn", file], { reject: false, all: true });
  return r.exitCode === 0 ? "clean" : `e2fsck -fn exit ${r.exitCode}: ${lastLine(String(r.all ?? ""))}`;
}

async function vmRun(ctx: PhaseContext, t: VmTargetName, plan: StoragePlan, xdg: string): Promise<{ write: Cell<StorageWrite>; read: Cell<StorageRead>; fsck: string }> {
  let volume: string;
  try {
    volume = await createVolume(`bench-${t}`, plan.volumeMiB, xdg);
  } catch (err) {
    const why = na<never>((err as Error).message);
    return { write: why, read: why, fsck: "no volume" };
  }
  const wb = await vmBoot(ctx, t, "storage-write", volume, plan);
  const pw = parseStorageOutput(wb.text);
  if (wb.failure !== undefined || pw.write === undefined) {
    const reason = `write boot: ${wb.failure ?? "printed no figures"}`;
    return { write: na(reason), read: na(`no file to read (${reason})`), fsck: await fsckOf(volume) };
  }
  // QEMU reads the volume file through the host's page cache (cache.direct=off): drop it there too.
  const drop = await execa(ctx.prepared.storage, ["drop", volume], { reject: false, all: true });
  if (drop.exitCode !== 0) {
    return { write: { ok: pw.write }, read: na(`could not drop the volume file from the host's page cache: ${lastLine(String(drop.all ?? ""))}`), fsck: await fsckOf(volume) };
  }
  const rb = await vmBoot(ctx, t, "storage-read", volume, plan);
  const pr = parseStorageOutput(rb.text);
  const read: Cell<StorageRead> = rb.failure === undefined && pr.read ? { ok: pr.read } : na(`read boot: ${rb.failure ?? "printed no figure"}`);
  return { write: { ok: pw.write }, read, fsck: await fsckOf(volume) };
}

/** The write boot once more on a fresh volume, its writes and flushes logged (timings not kept). */
async function flushCount(ctx: PhaseContext, t: VmTargetName, plan: StoragePlan, xdg: string): Promise<Cell<{ flushes: number; syncCalls: number }>> {
  let volume: string;
  try {
    volume = await createVolume(`bench-${t}-flushes`, plan.volumeMiB, xdg);
  } catch (err) {
    return na((err as Error).message);
  }
  const logFile = path.join(xdg, `${t}-flushes.log`);
  try {
    await writeFile(logFile, ""); // QEMU opens the log, it does not create it
    const b = await vmBoot(ctx, t, "storage-write", volume, plan, logFile);
    const w = parseStorageOutput(b.text).write;
    if (b.failure !== undefined || w === undefined) return na(`logged write boot: ${b.failure ?? "printed no figures"}`);
    const flushes = countLogFlushes(await readFile(logFile).catch(() => Buffer.alloc(0)));
    return flushes === undefined ? na("QEMU wrote no blklogwrites log") : { ok: { flushes, syncCalls: syncCalls(w) } };
  } finally {
    await rm(logFile, { force: true });
  }
}

/** The phase for `targets` (the dry run: the host only); the others' cells say why not. */
export async function storagePhase(ctx: PhaseContext, plan: StoragePlan, targets: readonly TargetName[] = TARGETS, skipped = "not run", flushes = true): Promise<StorageResults> {
  const base = path.join(ctx.workDir, "storage");
  await rm(base, { recursive: true, force: true });
  await mkdir(path.join(base, "host"), { recursive: true });
  const res: StorageResults = { plan, write: {} as StorageResults["write"], read: {} as StorageResults["read"], fsck: {} as StorageResults["fsck"] };
  try {
    for (const t of TARGETS) {
      if (!targets.includes(t)) {
        res.write[t] = na(skipped);
        res.read[t] = na(skipped);
        if (t !== "host") res.fsck[t] = skipped;
        continue;
      }
      let fsck = "";
      if (t === "host") {
        const r = await hostRun(ctx, plan, path.join(base, "host"));
        res.write[t] = r.write;
        res.read[t] = r.read;
      } else {
        const r = await vmRun(ctx, t, plan, path.join(base, "xdg"));
        res.write[t] = r.write;
        res.read[t] = r.read;
        res.fsck[t] = r.fsck;
        fsck = `; volume ${r.fsck}`;
        if (flushes) {
          const f = await flushCount(ctx, t, plan, path.join(base, "xdg"));
          (res.flushes ??= {} as NonNullable<StorageResults["flushes"]>)[t] = f;
          fsck += "ok" in f ? `; ${f.ok.flushes} device flushes for ${f.ok.syncCalls} fsync/fdatasync calls` : `; flushes n/a (${f.na})`;
        }
      }
      ctx.log(`  storage  ${t}: ${describeStorage(res.write[t], res.read[t])}${fsck}`);
    }
  } finally {
    await rm(base, { recursive: true, force: true });
  }
  return res;
}

export function describeStorage(w: Cell<StorageWrite>, r: Cell<StorageRead>): string {
  const wt =
    "na" in w
      ? `n/a (${w.na})`
      : `fsync median ${w.ok.fsyncMedianUs.toFixed(0)} µs p99 ${w.ok.fsyncP99Us.toFixed(0)} µs, write ${w.ok.seqWriteMiBps.toFixed(1)} MiB/s, ` +
        `4 KiB random ${w.ok.randSyncIops.toFixed(0)} IOPS durable / ${w.ok.randBufferedIops.toFixed(0)} buffered`;
  const rt = "na" in r ? `read n/a (${r.na})` : `read ${r.ok.mibps.toFixed(1)} MiB/s`;
  return `${wt}; ${rt}`;
}
