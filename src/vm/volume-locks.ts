// Who is using a volume. Each VM that attaches one leaves a lock file in the volume's locks/
// directory naming itself and the process that keeps the VM alive (the `uninode run` process for
// a VM in the foreground, QEMU for a detached one), with that process's start time so a reused
// pid is not mistaken for the holder. A lock whose process is gone is stale and removed by whoever
// finds it. Taking a lock is create-then-look: the new file is written first, then the others are
// read; whoever then sees a conflict removes its own file and fails, so two racing VMs can both be
// refused but never both admitted.
//
// The rule is QEMU's (and a filesystem's): any number of read-only attachments share a volume,
// a read-write one excludes every other attachment. (docker lets a volume be mounted read-only in
// one container while another writes it; with a disk filesystem that reader would see a volume
// changing under its cache, so it is refused here, as QEMU's own image locks would refuse it.)

import { randomBytes } from "node:crypto";
import { mkdir, readFile, readdir, rename, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { UninodeError, errnoCode } from "../errors.js";

export interface VolumeHolder {
  /** The VM's name for a detached VM; absent for one in the foreground. */
  vm?: string;
  /** What the VM runs (a tag, an image, an app directory): how a foreground VM is named. */
  label: string;
  pid: number;
  /** The process's start time (/proc/PID/stat field 22), so a reused pid is not the holder. */
  start: string;
  readOnly: boolean;
}

export class VolumeInUseError extends UninodeError {}

const LOCK_SUFFIX = ".lock";

/** The start time of process `pid`, or undefined when there is no such (live) process. */
export async function processStart(pid: number): Promise<string | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

/** How a holder is named in sentences: "the VM web" or "`uninode run app` (pid 123)". */
export function describeHolder(h: VolumeHolder): string {
  return h.vm !== undefined ? `the VM ${h.vm}` : `\`uninode run ${h.label}\` (pid ${h.pid})`;
}

function locksDir(volumeDir: string): string {
  return path.join(volumeDir, "locks");
}

/** The live holders of the volume in `volumeDir`; stale lock files are removed on the way. */
export async function volumeHolders(volumeDir: string, except?: string): Promise<VolumeHolder[]> {
  const dir = locksDir(volumeDir);
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: VolumeHolder[] = [];
  for (const name of names.sort()) {
    if (name.endsWith(`${LOCK_SUFFIX}.tmp`)) {
      // A lock never renamed into place: its writer died in between. Litter after a minute.
      const st = await stat(path.join(dir, name)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > 60_000) await unlink(path.join(dir, name)).catch(() => undefined);
      continue;
    }
    if (!name.endsWith(LOCK_SUFFIX) || name === except) continue;
    const file = path.join(dir, name);
    let h: VolumeHolder;
    try {
      h = JSON.parse(await readFile(file, "utf8")) as VolumeHolder;
    } catch {
      continue; // being written this instant, or removed: its owner decides about it
    }
    if (typeof h.pid === "number" && (await processStart(h.pid)) === h.start) out.push(h);
    else await unlink(file).catch(() => undefined);
  }
  return out;
}

/** A lock taken on one volume; moved to another holder process or released. */
export class VolumeLock {
  private constructor(
    private readonly volumeDir: string,
    private readonly name: string,
    private file: string,
    private holder: VolumeHolder,
  ) {}

  /** Takes the lock on `volumeName` (stored in `volumeDir`) for `holder`, or throws VolumeInUseError. */
  static async take(volumeName: string, volumeDir: string, holder: VolumeHolder): Promise<VolumeLock> {
    const dir = locksDir(volumeDir);
    // Not recursive: a volume removed meanwhile must not come back as an empty directory.
    try {
      await mkdir(dir);
    } catch (err) {
      if (errnoCode(err) === "ENOENT") throw new UninodeError("NO_SUCH_VOLUME", `The volume ${volumeName} was removed just now; create it again with \`uninode volume create ${volumeName}\`.`);
      if (errnoCode(err) !== "EEXIST") throw err;
    }
    const file = path.join(dir, `${holder.pid}-${randomBytes(4).toString("hex")}${LOCK_SUFFIX}`);
    await writeAtomically(file, holder);
    const others = await volumeHolders(volumeDir, path.basename(file));
    const conflict = others.find((o) => !holder.readOnly || !o.readOnly);
    if (conflict !== undefined) {
      await unlink(file).catch(() => undefined);
      const how = conflict.readOnly ? "read-only" : "read-write";
      const fix = conflict.vm !== undefined ? `stop it first (uninode stop ${conflict.vm})` : "wait for it to end";
      const mine = holder.readOnly ? ":ro cannot share it with a writer" : "only one VM may attach a volume read-write, and with no other VM";
      throw new VolumeInUseError("VOLUME_IN_USE", `The volume ${volumeName} is in use (${how}) by ${describeHolder(conflict)}; ${fix}: ${mine}.`);
    }
    return new VolumeLock(volumeDir, volumeName, file, holder);
  }

  /** Hands the lock to another process (a detached VM's QEMU), never leaving the volume unlocked. */
  async moveTo(pid: number, start: string, vm?: string): Promise<void> {
    const next: VolumeHolder = { ...this.holder, pid, start, ...(vm !== undefined ? { vm } : {}) };
    const file = path.join(locksDir(this.volumeDir), `${pid}-${randomBytes(4).toString("hex")}${LOCK_SUFFIX}`);
    await writeAtomically(file, next);
    await unlink(this.file).catch(() => undefined);
    this.file = file;
    this.holder = next;
  }

  async release(): Promise<void> {
    await unlink(this.file).catch(() => undefined);
  }

  get volume(): string {
    return this.name;
  }
}

/** Written under a temporary name and renamed, so a reader never sees half a lock. */
async function writeAtomically(file: string, holder: VolumeHolder): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, JSON.stringify(holder) + "\n");
  await rename(tmp, file);
}
