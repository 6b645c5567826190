// Named volumes: user data, not cache. Each is a directory under $XDG_DATA_HOME/uninode/volumes
// (or ~/.local/share/uninode/volumes) holding disk.img, a raw sparse file formatted as ext4 with
// exactly the features the kernel supports, volume.json (format, name, size, creation time) and
// locks/ (who uses it: volume-locks.ts). Nothing prunes this directory. A volume is made under a
// temporary name and renamed into place, so a name never stands for a half-made volume.

import { randomBytes } from "node:crypto";
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { UninodeError, UsageError, messageOf } from "../errors.js";
import { requireTool } from "../tools.js";
import { isVolumeName } from "./mounts.js";
import { readSuperblock, type Superblock } from "./superblock.js";
import { volumeHolders, VolumeInUseError, describeHolder, type VolumeHolder } from "./volume-locks.js";

export const VOLUME_FORMAT = 1;

/** The ext4 features the kernel supports: `volume create` formats with exactly these (CONTRACT.md). */
export const VOLUME_MKE2FS_FEATURES = "none,has_journal,filetype,sparse_super,large_file";

/** The default size: sparse, so it costs the host only what is written (about 50 MiB at first). */
export const DEFAULT_VOLUME_SIZE = 1024 ** 3;
/** mke2fs gives a volume below 8 MiB (2048 blocks of 4 KiB) no journal at all; at 16 MiB the
 * smallest journal (1024 blocks) takes a quarter, which is as small as is still useful. */
export const MIN_VOLUME_SIZE = 16 * 1024 ** 2;
/** Without the 64bit feature, block numbers are 32 bits: 2^32 blocks of 4 KiB. */
export const MAX_VOLUME_SIZE = 2 ** 32 * 4096 - 4096;
/** ext4 labels hold 16 bytes; a longer name is cut in the label only. */
const LABEL_MAX = 16;

export class VolumeError extends UninodeError {}

export interface VolumeRecord {
  format: number;
  name: string;
  /** Bytes. */
  size: number;
  /** ISO time. */
  created: string;
}

export interface Volume {
  name: string;
  dir: string;
  /** The raw disk file QEMU attaches. */
  file: string;
  record: VolumeRecord;
}

/** $XDG_DATA_HOME/uninode/volumes, or ~/.local/share/uninode/volumes. */
export function volumesDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env["XDG_DATA_HOME"];
  const base = xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(env["HOME"] ?? os.homedir(), ".local", "share");
  return path.join(base, "uninode", "volumes");
}

export function checkVolumeName(name: string): string {
  if (!isVolumeName(name)) {
    throw new UsageError(`A volume name is letters, digits, "_", "." and "-" (2 to 63, starting with a letter or digit), got "${name}".`, "BAD_VOLUME_NAME");
  }
  return name;
}

/** "2G", "512M", "1T", "65536K", or bytes; binary units. Whole 4 KiB blocks, MIN..MAX. */
export function parseVolumeSize(text: string): number {
  const m = /^(\d+)\s*([KMGT])?(?:i?B)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`--size expects a size such as 512M, 2G or 1T, got "${text}".`, "BAD_SIZE");
  const unit = { K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[(m[2] ?? "").toUpperCase() as "K"] ?? 1;
  const bytes = Number(m[1]) * unit;
  if (bytes < MIN_VOLUME_SIZE) {
    throw new UsageError(`--size ${text} is below the smallest volume, 16M (the journal needs room); give 16M or more.`, "BAD_SIZE");
  }
  if (bytes > MAX_VOLUME_SIZE) throw new UsageError(`--size ${text} is above the largest volume, 16T less 4K.`, "BAD_SIZE");
  if (bytes % 4096 !== 0) throw new UsageError(`--size ${text} is not a whole number of 4 KiB blocks; round it, e.g. to ${Math.ceil(bytes / 1024 ** 2)}M.`, "BAD_SIZE");
  return bytes;
}

/** The mke2fs arguments that format `file` as volume `name` (CONTRACT.md quotes this command). */
export function mke2fsArgs(name: string, file: string, size: number, from?: string): string[] {
  return [
    "-q", "-F", "-t", "ext4", "-b", "4096", "-I", "256",
    "-O", VOLUME_MKE2FS_FEATURES,
    "-E", "lazy_itable_init=0,lazy_journal_init=0",
    ...(from !== undefined ? ["-d", from] : []),
    "-L", name.slice(0, LABEL_MAX),
    file, `${size / 1024}k`,
  ];
}

function volumeFiles(dir: string) {
  return { disk: path.join(dir, "disk.img"), record: path.join(dir, "volume.json") };
}

/** The volume named `name`, or undefined when there is none. */
export async function readVolume(name: string, env: NodeJS.ProcessEnv = process.env): Promise<Volume | undefined> {
  if (!isVolumeName(name)) return undefined;
  const dir = path.join(volumesDir(env), name);
  const files = volumeFiles(dir);
  let record: VolumeRecord;
  try {
    record = JSON.parse(await readFile(files.record, "utf8")) as VolumeRecord;
  } catch {
    return undefined;
  }
  if (typeof record !== "object" || record === null || record.name !== name) return undefined;
  return { name, dir, file: files.disk, record };
}

/** The volume named `name`, or one sentence saying how to make it. */
export async function findVolume(name: string, env: NodeJS.ProcessEnv = process.env): Promise<Volume> {
  const v = await readVolume(name, env);
  if (v === undefined) {
    throw new VolumeError("NO_SUCH_VOLUME", `There is no volume named ${name}; create it with \`uninode volume create ${name}\` (\`uninode volume ls\` lists them).`);
  }
  return v;
}

/** Throws unless the volume's disk is a uninode volume (ext with exactly our features). */
export async function checkVolumeDisk(v: Volume): Promise<Superblock> {
  if (v.record.format !== VOLUME_FORMAT) {
    throw new VolumeError("NOT_A_VOLUME", `The volume ${v.name} was made by another version of uninode (format ${String(v.record.format)}); this one reads format ${VOLUME_FORMAT}.`);
  }
  const sb = await readSuperblock(v.file).catch(() => undefined);
  if (sb === undefined) {
    throw new VolumeError("NOT_A_VOLUME", `${v.file} (the volume ${v.name}) is not an ext4 file system, so not a uninode volume; it may be damaged.`);
  }
  if (sb.foreign.length > 0) {
    throw new VolumeError("NOT_A_VOLUME", `${v.file} (the volume ${v.name}) has ext4 features the kernel does not support (${sb.foreign.join(", ")}), so it is not a uninode volume.`);
  }
  return sb;
}

export interface CreateOptions {
  name: string;
  size: number;
  /** Seed the volume with this directory's contents (mke2fs -d). */
  from?: string;
  env: NodeJS.ProcessEnv;
  searchPath?: string;
}

/** Formats a new volume under a temporary name, checks it, and renames it into place. */
export async function createVolume(o: CreateOptions): Promise<Volume> {
  checkVolumeName(o.name);
  const root = volumesDir(o.env);
  if ((await readVolume(o.name, o.env)) !== undefined) {
    throw new VolumeError("VOLUME_EXISTS", `A volume named ${o.name} exists already; choose another name, or remove it first (uninode volume rm ${o.name}).`);
  }
  if (o.from !== undefined) {
    const st = await stat(o.from).catch(() => undefined);
    if (!st?.isDirectory()) throw new VolumeError("HOST_DIR_NOT_FOUND", `--from ${o.from} is not a directory; give the directory to copy into the volume.`);
  }
  const mke2fs = await requireTool("mke2fs", o.searchPath);
  await mkdir(root, { recursive: true });
  const tmp = path.join(root, `.new-${o.name}-${randomBytes(4).toString("hex")}`);
  await mkdir(tmp);
  try {
    const files = volumeFiles(tmp);
    const r = await execa(mke2fs, mke2fsArgs(o.name, files.disk, o.size, o.from), { reject: false, all: true });
    if (r.exitCode !== 0) {
      const said = (r.all ?? "").split("\n").map((l) => l.trim().replace(/^mke2fs: /, "")).filter((l) => l !== "" && !l.startsWith("Creating regular file"));
      if (o.from !== undefined && said.some((l) => /Could not allocate block|No space left/.test(l))) {
        throw new VolumeError("VOLUME_TOO_SMALL", `${o.from} does not fit in a volume of ${o.size / 1024 ** 2} MiB; give a larger --size.`);
      }
      throw new VolumeError("MKE2FS_FAILED", `mke2fs could not make the volume ${o.name}: ${said.at(-1) ?? `exit status ${r.exitCode}`}.`);
    }
    const record: VolumeRecord = { format: VOLUME_FORMAT, name: o.name, size: o.size, created: new Date().toISOString() };
    await writeFile(files.record, JSON.stringify(record, null, 2) + "\n");
    // mke2fs drops the journal without failing when it does not fit; check we made what the kernel reads.
    await checkVolumeDisk({ name: o.name, dir: tmp, file: files.disk, record });
    try {
      await rename(tmp, path.join(root, o.name));
    } catch (err) {
      const dest = path.join(root, o.name);
      if ((await readVolume(o.name, o.env)) === undefined) {
        throw new VolumeError("VOLUME_EXISTS", `${dest} is in the way but holds no volume; move it aside or choose another name.`, { cause: err });
      }
      throw new VolumeError("VOLUME_EXISTS", `A volume named ${o.name} was created meanwhile; choose another name.`, { cause: err });
    }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    if (err instanceof UninodeError) throw err;
    throw new VolumeError("VOLUME_CREATE_FAILED", `The volume ${o.name} could not be created: ${messageOf(err)}.`, { cause: err });
  }
  return findVolume(o.name, o.env);
}

export interface VolumeStatus {
  volume: Volume;
  /** Bytes the disk file takes on the host (it is sparse). */
  allocated: number;
  superblock?: Superblock;
  holders: VolumeHolder[];
}

export async function volumeStatus(v: Volume): Promise<VolumeStatus> {
  const st = await stat(v.file).catch(() => undefined);
  const sb = await readSuperblock(v.file).catch(() => undefined);
  return { volume: v, allocated: st ? st.blocks * 512 : 0, ...(sb ? { superblock: sb } : {}), holders: await volumeHolders(v.dir) };
}

/** Every volume, by name; directories a crashed create or rm left behind (older than a minute) go. */
export async function listVolumes(env: NodeJS.ProcessEnv = process.env): Promise<Volume[]> {
  const root = volumesDir(env);
  const names = await readdir(root).catch(() => [] as string[]);
  const out: Volume[] = [];
  for (const name of names.sort()) {
    if (name.startsWith(".new-") || name.startsWith(".rm-")) {
      const st = await stat(path.join(root, name)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > 60_000) await rm(path.join(root, name), { recursive: true, force: true });
      continue;
    }
    const v = await readVolume(name, env);
    if (v) out.push(v);
  }
  return out;
}

/** Removes a volume that no VM uses. It is first renamed away, so a `run` that starts meanwhile
 * finds no volume rather than half of one; if a holder appeared, it is renamed back. */
export async function removeVolume(name: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const v = await checkRemovable(name, env);
  const away = path.join(volumesDir(env), `.rm-${name}-${randomBytes(4).toString("hex")}`);
  await rename(v.dir, away);
  const after = await volumeHolders(away);
  if (after.length > 0) {
    await rename(away, v.dir);
    throw inUse(name, after);
  }
  await rm(away, { recursive: true, force: true });
}

function inUse(name: string, holders: VolumeHolder[]): VolumeInUseError {
  return new VolumeInUseError("VOLUME_IN_USE", `The volume ${name} is in use by ${holders.map(describeHolder).join(" and ")}; stop ${holders.length === 1 ? "it" : "them"} first.`);
}

/** The volume `name` if it exists and no VM uses it; else the sentence `volume rm` would say. */
export async function checkRemovable(name: string, env: NodeJS.ProcessEnv = process.env): Promise<Volume> {
  const v = await findVolume(name, env);
  const holders = await volumeHolders(v.dir);
  if (holders.length > 0) throw inUse(name, holders);
  return v;
}

