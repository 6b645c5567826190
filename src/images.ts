// Named images: `uninode build --tag NAME` (or an app's package name) points NAME at an image in
// the content-addressed cache, so `uninode run NAME` and `uninode inspect NAME` find it, as Docker
// users expect. A tag is a small file, tags/NAME, holding the image's content key.

import { randomBytes } from "node:crypto";
import { copyFile, mkdir, readFile, readdir, rename, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { UninodeError, UsageError } from "./errors.js";

const TAG = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/** A package name as a tag: "@acme/web" → "acme-web". */
export function tagFromName(name: string): string {
  const t = name.toLowerCase().replace(/^@/, "").replace(/[^a-z0-9._-]+/g, "-").replace(/^[._-]+/, "").slice(0, 128);
  return t === "" ? "app" : t;
}

export function checkTag(tag: string): string {
  if (!TAG.test(tag)) {
    throw new UsageError(`--tag expects a name of lowercase letters, digits, ".", "_" and "-" (starting with a letter or digit), got "${tag}".`);
  }
  return tag;
}

export async function writeTag(cacheRoot: string, tag: string, key: string): Promise<void> {
  const dir = path.join(cacheRoot, "tags");
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${tag}.${randomBytes(4).toString("hex")}.tmp`);
  await writeFile(tmp, key + "\n");
  await rename(tmp, path.join(dir, tag));
}

/** The cached image file a tag points at, or undefined when there is no such tag (or its image is gone). */
export async function imageForTag(cacheRoot: string, tag: string): Promise<string | undefined> {
  if (!TAG.test(tag)) return undefined;
  try {
    const key = (await readFile(path.join(cacheRoot, "tags", tag), "utf8")).trim();
    if (!/^[0-9a-f]{64}$/.test(key)) return undefined;
    const file = path.join(cacheRoot, "images", `${key}.img`);
    await stat(file);
    return file;
  } catch {
    return undefined;
  }
}

export async function listTags(cacheRoot: string): Promise<string[]> {
  try {
    return (await readdir(path.join(cacheRoot, "tags"))).filter((n) => TAG.test(n)).sort();
  } catch {
    return [];
  }
}

/** Copies an image to `dest` atomically (a temp file renamed over it). */
export async function copyImage(src: string, dest: string): Promise<void> {
  const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await copyFile(src, tmp);
    await rename(tmp, dest);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new UninodeError("IMAGE_WRITE_FAILED", `Could not write ${dest}: ${(err as Error).message}.`, { cause: err });
  }
}
