// The content-addressed cache: images built by `uninode run --exec` under images/<key>.img, and
// kernels taken out of images (QEMU's -kernel needs a file of its own) under kernels/<sha256>.elf.
// Every write is a temp file renamed into place, so concurrent runs never see half a file.

import { mkdir, readdir, readFile, rm, stat, utimes } from "node:fs/promises";
import path from "node:path";
import { writeBuild, type PreparedBuild } from "./image/build.js";
import { extractSection, readImage, type ImageInfo } from "./image/image.js";
import { cacheDir } from "./paths.js";
import type { StartStep } from "./progress.js";

export interface CachedImage {
  image: ImageInfo;
  /** False when this call had to build it. */
  hit: boolean;
}

/** The image for `prepared`, built into the cache unless an intact one is already there;
 * building it is a live step when `step` is given. */
export async function cachedImage(prepared: PreparedBuild, root = cacheDir(), step?: StartStep): Promise<CachedImage> {
  const dir = path.join(root, "images");
  const file = path.join(dir, `${prepared.key}.img`);
  try {
    // Built by us and renamed into place whole: the header's bounds are enough of a check.
    const image = await readImage(file, { verify: false });
    const now = new Date();
    await utimes(file, now, now).catch(() => undefined); // recently used: pruned last
    return { image, hit: true };
  } catch {
    // Missing or damaged: (re)build it below.
  }
  await mkdir(dir, { recursive: true });
  const writing = step?.("writing the image");
  await writeBuild(prepared, file, writing);
  await pruneImages(root, file);
  const image = await readImage(file, { verify: false });
  writing?.end(`${(image.size / 1048576).toFixed(1)} MiB`);
  return { image, hit: false };
}

/** How much the image cache may hold before the least recently used untagged images go:
 * UNINODE_CACHE_MAX (bytes, or with a K/M/G suffix), default 4G. */
export function cacheLimit(env: NodeJS.ProcessEnv = process.env): number {
  const m = /^(\d+)([KMG]?)$/i.exec((env["UNINODE_CACHE_MAX"] ?? "4G").trim());
  if (!m) return 4 * 2 ** 30;
  const unit = { "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 }[m[2]!.toUpperCase() as "" | "K" | "M" | "G"];
  return Number(m[1]) * unit;
}

/** Deletes the least recently used cached images until the cache fits its limit. Tagged
 * images and KEEP stay; a VM still running from a deleted image keeps its open file. */
export async function pruneImages(root: string, keep: string, limit = cacheLimit()): Promise<string[]> {
  const dir = path.join(root, "images");
  const tagged = new Set<string>();
  for (const t of await readdir(path.join(root, "tags")).catch(() => [] as string[])) {
    const key = (await readFile(path.join(root, "tags", t), "utf8").catch(() => "")).trim();
    if (key) tagged.add(path.join(dir, `${key}.img`));
  }
  const entries: { file: string; size: number; used: number }[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.endsWith(".img")) continue;
    const file = path.join(dir, name);
    const st = await stat(file).catch(() => undefined);
    if (st) entries.push({ file, size: st.blocks * 512, used: st.mtimeMs });
  }
  let total = entries.reduce((s, e) => s + e.size, 0);
  const removed: string[] = [];
  for (const e of entries.sort((a, b) => a.used - b.used)) {
    if (total <= limit) break;
    if (e.file === keep || tagged.has(e.file)) continue;
    await rm(e.file, { force: true });
    total -= e.size;
    removed.push(e.file);
  }
  return removed;
}

/** A file holding the image's kernel, for QEMU's -kernel. */
export async function cachedKernel(image: ImageInfo, root = cacheDir()): Promise<string> {
  const section = image.header.sections.kernel;
  const dir = path.join(root, "kernels");
  const file = path.join(dir, `${section.sha256}.elf`);
  try {
    if ((await stat(file)).size === section.size) return file;
  } catch {
    // not cached yet
  }
  await mkdir(dir, { recursive: true });
  await extractSection(image, "kernel", file);
  return file;
}
