// A cpio "newc" writer (the format Linux unpacks an initramfs from): enough for the
// linux-microvm target's initramfs without depending on the host's cpio. Entries are written
// sorted by path, each directory before what it holds, with fixed owner (root) and time, so
// the same tree gives the same bytes.

import { createReadStream } from "node:fs";
import { lstat, open, readdir, readlink, type FileHandle } from "node:fs/promises";
import path from "node:path";

export type CpioEntry =
  | { kind: "dir"; path: string; mode: number }
  | { kind: "file"; path: string; mode: number; hostPath: string; size: number }
  | { kind: "data"; path: string; mode: number; data: Buffer }
  | { kind: "symlink"; path: string; target: string }
  | { kind: "chardev"; path: string; mode: number; major: number; minor: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const FIXED_MTIME = 946684800; // 2000-01-01, as the image builder uses

/** The 110-byte header plus the NUL-terminated name, padded to 4 bytes. */
export function cpioHeader(name: string, fields: { ino: number; mode: number; nlink: number; size: number; rmajor?: number; rminor?: number }): Buffer {
  const hex = (n: number) => n.toString(16).padStart(8, "0");
  const nameBuf = Buffer.from(`${name}\0`, "utf8");
  const head =
    "070701" +
    hex(fields.ino) +
    hex(fields.mode) +
    hex(0) + // uid
    hex(0) + // gid
    hex(fields.nlink) +
    hex(FIXED_MTIME) +
    hex(fields.size) +
    hex(0) + // devmajor
    hex(0) + // devminor
    hex(fields.rmajor ?? 0) +
    hex(fields.rminor ?? 0) +
    hex(nameBuf.length) +
    hex(0); // check
  return pad4(Buffer.concat([Buffer.from(head, "latin1"), nameBuf]));
}

function pad4(b: Buffer): Buffer {
  const rem = b.length % 4;
  return rem === 0 ? b : Buffer.concat([b, Buffer.alloc(4 - rem)]);
}

/** Adds the parent directories an entry list implies and sorts it (parents first). */
export function completeTree(entries: readonly CpioEntry[]): CpioEntry[] {
  const byPath = new Map<string, CpioEntry>();
  for (const e of entries) byPath.set(normalize(e.path), { ...e, path: normalize(e.path) });
  for (const p of [...byPath.keys()]) {
    for (let d = path.posix.dirname(p); d !== "." && d !== "/" && d !== ""; d = path.posix.dirname(d)) {
      if (!byPath.has(d)) byPath.set(d, { kind: "dir", path: d, mode: 0o755 });
    }
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Archive paths are relative ("app/server.js"), as the kernel expects. */
function normalize(p: string): string {
  return path.posix.normalize(p).replace(/^\/+/, "");
}

/** Writes the archive to `out`; returns its size in bytes. */
export async function writeCpio(out: string, entries: readonly CpioEntry[]): Promise<number> {
  const fh = await open(out, "w", 0o644);
  let pos = 0;
  const put = async (b: Buffer) => {
    await fh.write(b, 0, b.length, pos);
    pos += b.length;
  };
  try {
    let ino = 1;
    for (const e of completeTree(entries)) {
      switch (e.kind) {
        case "dir":
          await put(cpioHeader(e.path, { ino: ino++, mode: S_IFDIR | e.mode, nlink: 2, size: 0 }));
          break;
        case "data":
          await put(cpioHeader(e.path, { ino: ino++, mode: S_IFREG | e.mode, nlink: 1, size: e.data.length }));
          await put(pad4(e.data));
          break;
        case "symlink": {
          const t = Buffer.from(e.target, "utf8");
          await put(cpioHeader(e.path, { ino: ino++, mode: S_IFLNK | 0o777, nlink: 1, size: t.length }));
          await put(pad4(t));
          break;
        }
        case "chardev":
          await put(cpioHeader(e.path, { ino: ino++, mode: S_IFCHR | e.mode, nlink: 1, size: 0, rmajor: e.major, rminor: e.minor }));
          break;
        case "file":
          await put(cpioHeader(e.path, { ino: ino++, mode: S_IFREG | e.mode, nlink: 1, size: e.size }));
          pos = await copyInto(fh, pos, e.hostPath, e.size);
          await put(Buffer.alloc((4 - (e.size % 4)) % 4));
          break;
      }
    }
    await put(cpioHeader("TRAILER!!!", { ino: 0, mode: 0, nlink: 1, size: 0 }));
  } finally {
    await fh.close();
  }
  return pos;
}

async function copyInto(fh: FileHandle, start: number, file: string, size: number): Promise<number> {
  let pos = start;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const b = chunk as Buffer;
    await fh.write(b, 0, b.length, pos);
    pos += b.length;
  }
  if (pos - start !== size) throw new Error(`${file} changed size while being archived`);
  return pos;
}

/** The entries for a host directory tree, placed under `prefix` in the archive. */
export async function treeEntries(hostDir: string, prefix = ""): Promise<CpioEntry[]> {
  const out: CpioEntry[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const host = path.join(dir, name);
      const arch = path.posix.join(prefix, rel, name);
      const st = await lstat(host);
      if (st.isSymbolicLink()) out.push({ kind: "symlink", path: arch, target: await readlink(host) });
      else if (st.isDirectory()) {
        out.push({ kind: "dir", path: arch, mode: st.mode & 0o7777 });
        await walk(host, path.posix.join(rel, name));
      } else if (st.isFile()) out.push({ kind: "file", path: arch, mode: st.mode & 0o7777, hostPath: host, size: st.size });
    }
  };
  await walk(hostDir, "");
  return out;
}
