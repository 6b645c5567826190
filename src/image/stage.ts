// Writes a plan out as a real directory tree for `mke2fs -d`: every file copied, every directory
// and symlink made, modes applied, and every timestamp set to one fixed instant so that the same
// plan always gives the same bytes.

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, copyFile, lutimes, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { PlanEntry } from "./plan.js";

/** 2000-01-01T00:00:00Z: every inode time and the fs's own times (E2FSPROGS_FAKE_TIME). */
export const FIXED_TIME = 946684800;

export interface FileDigest {
  size: number;
  sha256: string;
}

/** sha256 and size of each file or data entry, by image path. */
export async function digestEntries(
  entries: PlanEntry[],
  digest: (file: string) => Promise<FileDigest> = digestFile,
  onProgress?: (done: number, total: number) => void,
): Promise<Map<string, FileDigest>> {
  const out = new Map<string, FileDigest>();
  const files = entries.filter((e) => e.type === "file" || e.type === "data");
  await eachLimit(files, 8, async (e) => {
    if (e.type === "file") out.set(e.imagePath, await digest(e.hostPath));
    else if (e.type === "data") out.set(e.imagePath, { size: e.content.length, sha256: sha256(e.content) });
    onProgress?.(out.size, files.length);
  });
  return out;
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight: an app's node_modules holds
 * thousands of small files, and one-at-a-time file operations leave the disk idle.
 */
export async function eachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

export async function digestFile(file: string): Promise<FileDigest> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest("hex") };
}

/** A fresh private directory; the caller removes it with removeDir. */
export async function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/**
 * Writes `entries` (sorted by path, every parent directory listed) under `root`. Timestamps are fixed last, deepest first, since creating a child changes its directory's mtime.
 */
export async function stageTree(root: string, entries: PlanEntry[], onProgress?: (done: number, total: number) => void): Promise<void> {
  await chmod(root, 0o755);
  // Directories first (sorted, so parents before children), then everything else in parallel.
  const dirs = entries.filter((e) => e.type === "dir");
  for (const d of dirs) await mkdir(path.join(root, d.imagePath), { recursive: true });
  const total = entries.length - dirs.length;
  let done = 0;
  await eachLimit(entries, 32, async (e) => {
    const target = path.join(root, e.imagePath);
    if (e.type !== "dir") onProgress?.(++done, total);
    switch (e.type) {
      case "dir":
        return;
      case "file":
        await copyFile(e.hostPath, target);
        await chmod(target, e.mode);
        await utimes(target, FIXED_TIME, FIXED_TIME);
        return;
      case "data":
        await writeFile(target, e.content);
        await chmod(target, e.mode);
        await utimes(target, FIXED_TIME, FIXED_TIME);
        return;
      case "symlink":
        await symlink(e.target, target);
        await lutimes(target, FIXED_TIME, FIXED_TIME);
        return;
    }
  });
  // Modes and times of directories last, deepest first: adding a child changes a dir's mtime,
  // and a read-only mode would stop the children being written.
  for (const d of [...dirs].sort((a, b) => b.imagePath.length - a.imagePath.length)) {
    const target = path.join(root, d.imagePath);
    await chmod(target, d.mode);
    await utimes(target, FIXED_TIME, FIXED_TIME);
  }
  await utimes(root, FIXED_TIME, FIXED_TIME);
}
