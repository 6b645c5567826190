// The content-addressed cache: images built by `uninode run --exec` under images/<key>.img, and
// kernels taken out of images (QEMU's -kernel needs a file of its own) under kernels/<sha256>.elf.
// Every write is a temp file renamed into place, so concurrent runs never see half a file.

import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { writeBuild, type PreparedBuild } from "./image/build.js";
import { extractSection, readImage, type ImageInfo } from "./image/image.js";
import { cacheDir } from "./paths.js";

export interface CachedImage {
  image: ImageInfo;
  /** False when this call had to build it. */
  hit: boolean;
}

/** The image for `prepared`, built into the cache unless an intact one is already there. */
export async function cachedImage(prepared: PreparedBuild, root = cacheDir()): Promise<CachedImage> {
  const dir = path.join(root, "images");
  const file = path.join(dir, `${prepared.key}.img`);
  try {
    // Built by us and renamed into place whole: the header's bounds are enough of a check.
    return { image: await readImage(file, { verify: false }), hit: true };
  } catch {
    // Missing or damaged: (re)build it below.
  }
  await mkdir(dir, { recursive: true });
  await writeBuild(prepared, file);
  return { image: await readImage(file, { verify: false }), hit: false };
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
