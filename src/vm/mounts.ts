// What `run -v` and the config's "volumes" attach: named volumes (virtio-blk disks holding ext4)
// and host directories (virtio-9p shares), each at a mount point in the guest. Specs are parsed
// into data here; checking them against the disk (the volume exists, the directory exists) is
// resolveMounts' job, and the kernel command line's mount= tokens (CONTRACT.md) are made from the
// result, so the whole path from a -v word to QEMU's arguments is testable without QEMU.

import { stat } from "node:fs/promises";
import path from "node:path";
import { UninodeError, UsageError } from "../errors.js";
import { percentEscape } from "./cmdline.js";
import { volumeDiskName, type HostShare, type MachineType, type VolumeDisk } from "./qemu-args.js";

/** The kernel mounts at most this many (boot_options.mounts). */
export const MAX_MOUNTS = 16;

/** docker's rule for volume names. */
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** One -v word, parsed: a volume NAME or a host directory, a guest mount point, read-only or not. */
export interface MountSpec {
  kind: "volume" | "host";
  /** The volume's name, or the host directory as written (relative to `base`). */
  source: string;
  /** The absolute, normalised mount point in the guest. */
  target: string;
  readOnly: boolean;
  /** Where a relative host directory is resolved from: the cwd for -v, the app directory for the config. */
  base: string;
}

/** A spec checked against the host: a volume's disk file, or a host directory's real path. */
export type Mount =
  | { kind: "volume"; name: string; file: string; target: string; readOnly: boolean }
  | { kind: "host"; dir: string; target: string; readOnly: boolean };

/** The error a bad -v or config entry gets; `what` names where it came from ("-v", a config field). */
function bad(what: string, spec: string, why: string): UsageError {
  return new UsageError(`${what} "${spec}": ${why}`, "BAD_MOUNT");
}

export function isVolumeName(name: string): boolean {
  return VOLUME_NAME.test(name) && name.length <= 63;
}

/**
 * SOURCE:PATH[:ro|:rw], as docker run -v. SOURCE is a host directory when it holds a '/' or is
 * "." or ".." (docker's rule: `./uploads`, not `uploads`), otherwise a volume name. PATH is the
 * part after the first ':' that is followed by '/', so a host directory may hold ':' itself.
 */
export function parseMountSpec(spec: string, base: string, what = "-v"): MountSpec {
  let rest = spec;
  let readOnly = false;
  const opt = /:(ro|rw)$/.exec(rest);
  if (opt) {
    readOnly = opt[1] === "ro";
    rest = rest.slice(0, opt.index);
  }
  let colon = -1;
  for (let i = rest.indexOf(":"); i !== -1; i = rest.indexOf(":", i + 1)) {
    if (i > 0 && rest[i + 1] === "/") {
      colon = i;
      break;
    }
  }
  if (colon === -1) {
    const hint = rest.includes(":") && !rest.startsWith(":") ? "the mount point must be an absolute path such as /data" : "expected SOURCE:/PATH[:ro], such as dbdata:/var/lib/mysql or ./uploads:/app/uploads";
    throw bad(what, spec, `${hint}.`);
  }
  const source = rest.slice(0, colon);
  const rawTarget = rest.slice(colon + 1);
  const target = path.posix.normalize(rawTarget).replace(/(.)\/+$/, "$1");
  if (target === "/") throw bad(what, spec, "a volume cannot be mounted over the root; choose a directory such as /data.");
  if (rawTarget.split("/").includes("..")) throw bad(what, spec, "the mount point may not contain \"..\"; write it as an absolute path.");
  if (rawTarget.includes("\0")) throw bad(what, spec, "the mount point holds a NUL byte.");
  const host = source.includes("/") || source === "." || source === "..";
  if (!host && !isVolumeName(source)) {
    throw bad(what, spec, `"${source}" is not a volume name (letters, digits, "_", "." and "-", at least two, starting with a letter or digit) nor a host directory (write ./${source} for one here).`);
  }
  return { kind: host ? "host" : "volume", source, target, readOnly, base };
}

/**
 * The config's list, then -v's, as `docker compose run -v` combines them: -v adds to the config's
 * volumes, and a -v whose mount point the config also uses replaces that entry. Two entries of
 * the same list at one mount point are a mistake, as is going over MAX_MOUNTS.
 */
export function mergeMounts(fromConfig: readonly MountSpec[], fromCli: readonly MountSpec[]): MountSpec[] {
  const check = (list: readonly MountSpec[], what: string) => {
    const seen = new Set<string>();
    for (const m of list) {
      if (seen.has(m.target)) throw new UsageError(`${what} mounts two things at ${m.target}; give each mount point once.`, "BAD_MOUNT");
      seen.add(m.target);
    }
  };
  check(fromConfig, "The image's config");
  check(fromCli, "-v");
  const cliTargets = new Set(fromCli.map((m) => m.target));
  const merged = [...fromConfig.filter((m) => !cliTargets.has(m.target)), ...fromCli];
  const names = new Set<string>();
  for (const m of merged) {
    if (m.kind !== "volume") continue;
    if (names.has(m.source)) throw new UsageError(`The volume ${m.source} is attached twice; a volume can be mounted at one place in a VM.`, "BAD_MOUNT");
    names.add(m.source);
  }
  if (merged.length > MAX_MOUNTS) {
    throw new UsageError(`A VM can mount at most ${MAX_MOUNTS} volumes and host directories, got ${merged.length}.`, "BAD_MOUNT");
  }
  return merged;
}

/** How resolveMounts finds a named volume's disk file (src/vm/volumes.ts, or a fake in tests). */
export type VolumeLookup = (name: string) => Promise<string>;

/** Checks each spec against the host: volumes through `lookup`, host directories exist. */
export async function resolveMounts(specs: readonly MountSpec[], lookup: VolumeLookup): Promise<Mount[]> {
  const out: Mount[] = [];
  for (const s of specs) {
    if (s.kind === "volume") {
      out.push({ kind: "volume", name: s.source, file: await lookup(s.source), target: s.target, readOnly: s.readOnly });
      continue;
    }
    const dir = path.resolve(s.base, s.source);
    const st = await stat(dir).catch(() => undefined);
    if (st === undefined) {
      throw new UninodeError("HOST_DIR_NOT_FOUND", `The host directory ${dir} (for ${s.target}) does not exist; create it first (mkdir -p ${dir}).`);
    }
    if (!st.isDirectory()) {
      throw new UninodeError("HOST_DIR_NOT_FOUND", `${dir} (for ${s.target}) is not a directory; -v shares host directories, not single files.`);
    }
    out.push({ kind: "host", dir, target: s.target, readOnly: s.readOnly });
  }
  return out;
}

/** A mount= field: %XX as env= values are, and ':' too, since the kernel splits the token on it. */
export function mountField(value: string): string {
  return percentEscape(value).replace(/:/g, "%3a");
}

/** QEMU's microvm has 8 virtio-mmio transports; a device past them makes QEMU refuse to start. */
export const MICROVM_VIRTIO_SLOTS = 8;

/** Throws when the machine has no room for the root disk, the NIC and `mounts` more devices. */
export function checkMachineRoom(machine: MachineType | undefined, nic: boolean, mounts: number): void {
  if (machine !== "microvm") return;
  const room = MICROVM_VIRTIO_SLOTS - 1 - (nic ? 1 : 0);
  if (mounts > room) {
    throw new UsageError(
      `--machine microvm has ${MICROVM_VIRTIO_SLOTS} virtio devices, which leaves room for ${room} volumes and host directories${nic ? " beside the root disk and the NIC" : " beside the root disk"}, got ${mounts}; use --machine q35 (the default) for up to ${MAX_MOUNTS}.`,
      "BAD_MOUNT",
    );
  }
}

/** What QEMU attaches and what the kernel mounts, in one order: the Nth volume is vd(b+N). */
export interface MountPlan {
  volumes: VolumeDisk[];
  shares: HostShare[];
  /** mount= tokens: shallower mount points first, else in the order given. */
  tokens: string[];
}

/** WRITE_LOG_DIR (UNINODE_VOLUME_WRITE_LOG, for the crash tests): each volume's writes are logged
 * to DIR/NAME.log. */
export function planMounts(mounts: readonly Mount[], writeLogDir?: string): MountPlan {
  const plan: MountPlan = { volumes: [], shares: [], tokens: [] };
  // Shallower mount points first (as docker orders them), so /data is mounted before /data/logs
  // and does not hide it; otherwise the given order is kept.
  const depth = (m: Mount) => m.target.split("/").length;
  for (const m of [...mounts].sort((a, b) => depth(a) - depth(b))) {
    const ro = m.readOnly ? ":ro" : "";
    if (m.kind === "volume") {
      const disk = volumeDiskName(plan.volumes.length);
      plan.volumes.push({ file: m.file, readOnly: m.readOnly, ...(writeLogDir ? { writeLog: path.join(writeLogDir, `${m.name}.log`) } : {}) });
      plan.tokens.push(`mount=ext4:${disk}:${mountField(m.target)}${ro}`);
    } else {
      const tag = `share${plan.shares.length}`;
      plan.shares.push({ dir: m.dir, tag, readOnly: m.readOnly });
      plan.tokens.push(`mount=9p:${tag}:${mountField(m.target)}${ro}`);
    }
  }
  return plan;
}

/** A mount as `ps`, `inspect` and `run -d --json` show it: dbdata:/var/lib/mysql:ro, /home/me/up:/app/up. */
export function formatMount(m: Mount): string {
  return `${m.kind === "volume" ? m.name : m.dir}:${m.target}${m.readOnly ? ":ro" : ""}`;
}
