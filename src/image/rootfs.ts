// Turns a staged directory into an ext2 root fs image: `mke2fs -d` (no root needed), a debugfs
// pass that pins what mke2fs copies from the host and we cannot set beforehand (inode change
// times, owners), then `e2fsck -fn` to prove the result is clean before anyone boots it.

import { writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { UninodeError } from "../errors.js";
import { requireTool } from "../tools.js";
import type { PlanEntry } from "./plan.js";
import { FIXED_TIME, type FileDigest } from "./stage.js";

export const BLOCK_SIZE = 4096;
const INODE_SIZE = 256;

export class RootfsError extends UninodeError {}

export interface RootfsOptions {
  /** The fs UUID, also used as the directory hash seed: derived from the content, so stable. */
  uuid: string;
  label?: string;
}

/** Environment that makes e2fsprogs deterministic: a fixed clock and C collation for scandir. */
function e2fsEnv(): Record<string, string> {
  return { E2FSPROGS_FAKE_TIME: String(FIXED_TIME), LC_ALL: "C" };
}

export interface RootfsSize {
  kib: number;
  inodes: number;
}

/**
 * Enough room for the content plus ~25% and a few MiB: each file's blocks with its indirect
 * blocks, each directory's entries, and the inode tables.
 */
export function sizeRootfs(entries: PlanEntry[], digests: Map<string, FileDigest>): RootfsSize {
  let blocks = 0;
  const dirEntryBytes = new Map<string, number>();
  for (const e of entries) {
    const parent = path.posix.dirname(e.imagePath);
    // A directory entry is 8 bytes plus the name, padded to 4.
    const nameLen = path.posix.basename(e.imagePath).length;
    dirEntryBytes.set(parent, (dirEntryBytes.get(parent) ?? 24) + 8 + Math.ceil(nameLen / 4) * 4);
    if (e.type === "file" || e.type === "data") {
      const size = digests.get(e.imagePath)?.size ?? 0;
      const data = Math.ceil(size / BLOCK_SIZE);
      // Past 12 direct blocks, one indirect block per 1024 data blocks, plus the double-indirect.
      const indirect = data > 12 ? Math.ceil((data - 12) / 1024) + 2 : 0;
      blocks += data + indirect;
    } else if (e.type === "symlink" && e.target.length >= 60) {
      blocks += 1; // short targets live in the inode itself
    }
  }
  for (const bytes of dirEntryBytes.values()) blocks += Math.max(1, Math.ceil(bytes / BLOCK_SIZE));
  const inodes = Math.max(256, Math.ceil((entries.length + 16) * 1.25));
  const inodeTableBlocks = Math.ceil((inodes * INODE_SIZE) / BLOCK_SIZE);
  const contentKib = ((blocks + inodeTableBlocks) * BLOCK_SIZE) / 1024;
  const kib = Math.ceil((contentKib * 1.25 + 4 * 1024) / 4) * 4;
  return { kib, inodes };
}

/** Creates `outFile` as an ext2 fs holding `stageDir`, normalizes inode metadata, and checks it. */
export async function makeRootfs(
  stageDir: string,
  entries: PlanEntry[],
  size: RootfsSize,
  outFile: string,
  workDir: string,
  options: RootfsOptions,
): Promise<void> {
  const mke2fs = await requireTool("mke2fs");
  const debugfs = await requireTool("debugfs");
  const env = e2fsEnv();
  const made = await execa(
    mke2fs,
    [
      "-q",
      "-F",
      "-t", "ext2",
      "-b", String(BLOCK_SIZE),
      "-I", String(INODE_SIZE),
      "-N", String(size.inodes),
      // The root fs is read-only in the VM: blocks reserved for root would be wasted.
      "-m", "0",
      "-d", stageDir,
      "-L", options.label ?? "uninode",
      "-U", options.uuid,
      "-E", `root_owner=0:0,hash_seed=${options.uuid}`,
      // No online-resize reservation: the fs never grows, and its GDT blocks are dead weight.
      "-O", "^resize_inode",
      outFile,
      `${size.kib}k`,
    ],
    { env, reject: false, all: true, stdin: "ignore" },
  );
  if (made.exitCode !== 0) {
    throw new RootfsError("MKE2FS_FAILED", `mke2fs could not create the root fs: ${lastLine(made.all)}.`);
  }

  // mke2fs -d copies st_ctime (which no program can set) and the builder's uid/gid into every
  // inode; pin them so the image depends only on the plan, and belongs to root in the VM.
  const commands: string[] = [];
  for (const p of ["/", ...entries.map((e) => e.imagePath)]) {
    if (/[\n"]/.test(p)) {
      throw new RootfsError("BAD_FILE_NAME", `The image path ${JSON.stringify(p)} contains a newline or double quote, which uninode cannot store yet.`);
    }
    const q = `"${p}"`;
    commands.push(`sif ${q} ctime @${FIXED_TIME}`, `sif ${q} uid 0`, `sif ${q} gid 0`);
  }
  const cmdFile = path.join(workDir, "debugfs.cmds");
  await writeFile(cmdFile, commands.join("\n") + "\n");
  const fixed = await execa(debugfs, ["-w", "-f", cmdFile, outFile], { env, reject: false, all: true, stdin: "ignore" });
  const complaint = (fixed.all ?? "").split("\n").find((l) => /^sif: |: (File not found|Bad|Invalid)/.test(l));
  if (fixed.exitCode !== 0 || complaint !== undefined) {
    throw new RootfsError("DEBUGFS_FAILED", `debugfs could not normalize the root fs: ${complaint ?? lastLine(fixed.all)}.`);
  }
  await checkRootfs(outFile);
}

/** `e2fsck -fn`: a forced, read-only check; anything but a clean exit is an error. */
export async function checkRootfs(file: string): Promise<void> {
  const e2fsck = await requireTool("e2fsck");
  const r = await execa(e2fsck, ["-fn", file], { env: e2fsEnv(), reject: false, all: true, stdin: "ignore" });
  if (r.exitCode !== 0) {
    const problem = (r.all ?? "").split("\n").find((l) => l !== "" && !/^(Pass \d|e2fsck \d)/.test(l));
    throw new RootfsError("ROOTFS_CHECK_FAILED", `e2fsck found errors in the root fs: ${problem ?? `exit status ${r.exitCode}`}.`);
  }
}

function lastLine(text: string | undefined): string {
  const lines = (text ?? "").split("\n").map((l) => l.trim()).filter((l) => l !== "");
  return lines.at(-1) ?? "no output";
}
