// The image file of CONTRACT.md: a 4 KiB header, then the manifest, kernel.elf and the ext2
// root fs, each starting on a 4 KiB boundary so QEMU can hand the root fs to the guest in place.
//
// Header layout (decided here; the contract names only magic, version and JSON):
//   bytes 0..13   "UNINODE-IMAGE\0"
//   bytes 14..15  format version, u16 little-endian (IMAGE_FORMAT)
//   bytes 16..19  length of the JSON that follows, u32 little-endian
//   bytes 20..    JSON {"format":1,"sections":{"manifest":{offset,size,sha256},"kernel":...,"rootfs":...}}
//   then zeros up to 4096.

import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { UninodeError, errnoCode } from "../errors.js";

export const IMAGE_MAGIC = Buffer.from("UNINODE-IMAGE\0", "latin1");
export const IMAGE_FORMAT = 1;
export const HEADER_SIZE = 4096;
export const SECTION_ALIGN = 4096;
export const SECTION_NAMES = ["manifest", "kernel", "rootfs"] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

export interface Section {
  offset: number;
  size: number;
  sha256: string;
}

export interface ImageHeader {
  format: number;
  sections: Record<SectionName, Section>;
}

export class ImageError extends UninodeError {}

/** Where a section's bytes come from when writing. */
export type SectionSource = { file: string } | { data: Buffer };

/**
 * Writes the image to `outPath` atomically: a temp file next to it, renamed over it when
 * complete, so a crash never leaves a half image under the real name.
 */
export async function writeImage(
  outPath: string,
  sources: Record<SectionName, SectionSource>,
  onBytes?: (written: number, total: number) => void,
): Promise<ImageHeader> {
  const dir = path.dirname(outPath);
  const tmp = path.join(dir, `.${path.basename(outPath)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let fh: FileHandle | undefined;
  try {
    fh = await open(tmp, "wx", 0o644);
    let offset = HEADER_SIZE;
    let total = 0;
    if (onBytes) for (const name of SECTION_NAMES) total = alignUp(total + (await sourceSize(sources[name])), SECTION_ALIGN);
    const sections = {} as Record<SectionName, Section>;
    for (const name of SECTION_NAMES) {
      const before = offset - HEADER_SIZE;
      const { size, sha256 } = await writeSection(fh, offset, sources[name], (n) => onBytes?.(before + n, total));
      sections[name] = { offset, size, sha256 };
      offset = alignUp(offset + size, SECTION_ALIGN);
    }
    // Pad the last section so the file ends on a boundary too.
    await fh.truncate(offset);
    const header: ImageHeader = { format: IMAGE_FORMAT, sections };
    await fh.write(encodeHeader(header), 0, HEADER_SIZE, 0);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, outPath);
    return header;
  } catch (err) {
    if (fh) await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    if (err instanceof UninodeError) throw err;
    throw new ImageError("IMAGE_WRITE_FAILED", `Could not write the image ${outPath}: ${errnoCode(err) ?? String(err)}.`, { cause: err });
  }
}

async function sourceSize(src: SectionSource): Promise<number> {
  return "data" in src ? src.data.length : (await stat(src.file)).size;
}

async function writeSection(fh: FileHandle, offset: number, src: SectionSource, onBytes?: (written: number) => void): Promise<{ size: number; sha256: string }> {
  const hash = createHash("sha256");
  if ("data" in src) {
    hash.update(src.data);
    await fh.write(src.data, 0, src.data.length, offset);
    return { size: src.data.length, sha256: hash.digest("hex") };
  }
  let pos = offset;
  for await (const chunk of createReadStream(src.file, { highWaterMark: 1 << 20 })) {
    const buf = chunk as Buffer;
    hash.update(buf);
    // A root fs is mostly free blocks: leave all-zero chunks as holes (the file is extended to
    // its full size at the end), so cached images cost only the space of their content.
    if (!isZero(buf)) await fh.write(buf, 0, buf.length, pos);
    pos += buf.length;
    onBytes?.(pos - offset);
  }
  return { size: pos - offset, sha256: hash.digest("hex") };
}

const ZERO = Buffer.alloc(1 << 20);

function isZero(buf: Buffer): boolean {
  for (let off = 0; off < buf.length; off += ZERO.length) {
    const part = buf.subarray(off, Math.min(buf.length, off + ZERO.length));
    if (!part.equals(ZERO.subarray(0, part.length))) return false;
  }
  return true;
}

export function encodeHeader(header: ImageHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const buf = Buffer.alloc(HEADER_SIZE);
  if (20 + json.length > HEADER_SIZE) throw new Error("image header JSON does not fit in 4 KiB");
  IMAGE_MAGIC.copy(buf, 0);
  buf.writeUInt16LE(IMAGE_FORMAT, 14);
  buf.writeUInt32LE(json.length, 16);
  json.copy(buf, 20);
  return buf;
}

export interface ReadImageOptions {
  /** Check each section's sha256 (reads the whole file). Default true. */
  verify?: boolean;
}

export interface ImageInfo {
  path: string;
  size: number;
  header: ImageHeader;
  /** The parsed manifest section. */
  manifest: unknown;
}

/** Opens and validates an image: magic, version, section bounds and alignment, and (by default) hashes. */
export async function readImage(file: string, options: ReadImageOptions = {}): Promise<ImageInfo> {
  let fh: FileHandle;
  try {
    fh = await open(file, "r");
  } catch (err) {
    if (errnoCode(err) === "ENOENT") throw new ImageError("IMAGE_NOT_FOUND", `${file} does not exist.`);
    if (errnoCode(err) === "EISDIR") throw new ImageError("IMAGE_NOT_IMAGE", `${file} is a directory, not a uninode image.`);
    throw new ImageError("IMAGE_NOT_READABLE", `${file} cannot be read (${errnoCode(err) ?? "error"}).`, { cause: err });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new ImageError("IMAGE_NOT_IMAGE", `${file} is not a regular file, so not a uninode image.`);
    const head = Buffer.alloc(HEADER_SIZE);
    const { bytesRead } = await fh.read(head, 0, HEADER_SIZE, 0);
    if (bytesRead < IMAGE_MAGIC.length || !head.subarray(0, IMAGE_MAGIC.length).equals(IMAGE_MAGIC)) {
      throw new ImageError("IMAGE_NOT_IMAGE", `${file} is not a uninode image (no UNINODE-IMAGE header); build one with \`uninode build\`.`);
    }
    if (bytesRead < HEADER_SIZE) throw truncated(file, "its 4 KiB header is cut short");
    const header = decodeHeader(head, file);
    for (const name of SECTION_NAMES) {
      const s = header.sections[name];
      if (s.offset + s.size > st.size) throw truncated(file, `its ${name} section ends at byte ${s.offset + s.size} but the file has ${st.size}`);
    }
    if (options.verify ?? true) {
      for (const name of SECTION_NAMES) {
        const s = header.sections[name];
        if ((await hashRange(file, s.offset, s.size)) !== s.sha256) {
          throw new ImageError("IMAGE_CORRUPT", `${file} is corrupt: its ${name} section does not match its sha256; rebuild the image.`);
        }
      }
    }
    const m = header.sections.manifest;
    const mbuf = Buffer.alloc(m.size);
    await fh.read(mbuf, 0, m.size, m.offset);
    let manifest: unknown;
    try {
      manifest = JSON.parse(mbuf.toString("utf8"));
    } catch {
      throw new ImageError("IMAGE_CORRUPT", `${file} is corrupt: its manifest is not valid JSON; rebuild the image.`);
    }
    return { path: file, size: st.size, header, manifest };
  } finally {
    await fh.close();
  }
}

/** Validates the header JSON's shape: every section present, aligned, in order, not overlapping. */
function decodeHeader(head: Buffer, file: string): ImageHeader {
  const version = head.readUInt16LE(14);
  if (version !== IMAGE_FORMAT) {
    throw new ImageError(
      "IMAGE_VERSION",
      `${file} is a uninode image of format ${version}, but this uninode reads format ${IMAGE_FORMAT}; rebuild it with this version.`,
    );
  }
  const len = head.readUInt32LE(16);
  const corrupt = (why: string) => new ImageError("IMAGE_CORRUPT", `${file} is corrupt: ${why}; rebuild the image.`);
  if (len === 0 || 20 + len > HEADER_SIZE) throw corrupt("its header length is out of range");
  let parsed: unknown;
  try {
    parsed = JSON.parse(head.toString("utf8", 20, 20 + len));
  } catch {
    throw corrupt("its header JSON does not parse");
  }
  const sections = (parsed as { sections?: Record<string, unknown> } | null)?.sections;
  if (typeof sections !== "object" || sections === null) throw corrupt("its header lists no sections");
  let end = HEADER_SIZE;
  const out = {} as Record<SectionName, Section>;
  for (const name of SECTION_NAMES) {
    const s = sections[name] as Partial<Section> | undefined;
    if (
      !s ||
      !Number.isSafeInteger(s.offset) ||
      !Number.isSafeInteger(s.size) ||
      typeof s.sha256 !== "string" ||
      !/^[0-9a-f]{64}$/.test(s.sha256)
    ) {
      throw corrupt(`its header's ${name} section is missing or malformed`);
    }
    const sec = s as Section;
    if (sec.offset % SECTION_ALIGN !== 0 || sec.offset < end || sec.size < 0) {
      throw corrupt(`its ${name} section is misplaced (offset ${sec.offset})`);
    }
    end = sec.offset + sec.size;
    out[name] = { offset: sec.offset, size: sec.size, sha256: sec.sha256 };
  }
  return { format: version, sections: out };
}

function truncated(file: string, why: string): ImageError {
  return new ImageError("IMAGE_TRUNCATED", `${file} is truncated (${why}); rebuild or copy it again.`);
}

export async function hashRange(file: string, offset: number, size: number): Promise<string> {
  const hash = createHash("sha256");
  if (size > 0) {
    for await (const chunk of createReadStream(file, { start: offset, end: offset + size - 1, highWaterMark: 1 << 20 })) {
      hash.update(chunk as Buffer);
    }
  }
  return hash.digest("hex");
}

/** Copies one section out to `dest` (atomically). */
export async function extractSection(image: ImageInfo, name: SectionName, dest: string): Promise<void> {
  const s = image.header.sections[name];
  const tmp = `${dest}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const out = await open(tmp, "wx", 0o644);
  try {
    let pos = 0;
    if (s.size > 0) {
      for await (const chunk of createReadStream(image.path, { start: s.offset, end: s.offset + s.size - 1, highWaterMark: 1 << 20 })) {
        const buf = chunk as Buffer;
        await out.write(buf, 0, buf.length, pos);
        pos += buf.length;
      }
    }
    await out.close();
    await rename(tmp, dest);
  } catch (err) {
    await out.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** True when `file` exists and starts with the image magic (used before overwriting an output). */
export async function isImageFile(file: string): Promise<boolean> {
  try {
    const st = await stat(file);
    if (!st.isFile()) return false;
    const fh = await open(file, "r");
    try {
      const buf = Buffer.alloc(IMAGE_MAGIC.length);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      return bytesRead === buf.length && buf.equals(IMAGE_MAGIC);
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

export function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}
