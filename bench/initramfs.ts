// The linux-microvm target's initramfs: the very files of the uninode image's root fs (node,
// its shared libraries, the app, /etc), read out of the ext2 with debugfs, plus a static /init,
// the virtio modules and /etc/bench/boot (the image's own /.uninode/boot). Both VMs thus run
// the same bytes; only the kernel underneath differs.

import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { extractSection, readImage } from "../src/image/image.js";
import { treeEntries, writeCpio, type CpioEntry } from "./cpio.js";

export interface InitramfsParts {
  /** Bytes per part, for the size breakdown. */
  init: number;
  modules: number;
  rootfsFiles: number;
}

export interface Initramfs {
  file: string;
  size: number;
  parts: InitramfsParts;
}

/** Reads an image's root fs out into `dir` (replaced). */
export async function unpackImageRootfs(image: string, dir: string): Promise<void> {
  const info = await readImage(image, { verify: false });
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const ext2 = `${dir}.ext2`;
  await extractSection(info, "rootfs", ext2);
  try {
    await execa("debugfs", ["-R", `rdump / ${dir}`, ext2]);
  } finally {
    await rm(ext2, { force: true });
  }
  await rm(path.join(dir, "lost+found"), { recursive: true, force: true });
}

export interface InitramfsSpec {
  rootDir: string;
  init: string;
  modules: readonly string[];
  out: string;
  /** Replaces the image's /.uninode/boot (e.g. a syscall program's arguments). */
  boot?: string;
}

export async function buildInitramfs(spec: InitramfsSpec): Promise<Initramfs> {
  const entries: CpioEntry[] = await treeEntries(spec.rootDir);
  const files = entries.reduce((n, e) => n + (e.kind === "file" ? e.size : 0), 0);
  const boot = spec.boot ?? (await readFile(path.join(spec.rootDir, ".uninode", "boot"), "utf8"));
  const initBytes = await readFile(spec.init);
  entries.push({ kind: "data", path: "init", mode: 0o755, data: initBytes });
  entries.push({ kind: "data", path: "etc/bench/boot", mode: 0o644, data: Buffer.from(boot) });
  entries.push({ kind: "chardev", path: "dev/console", mode: 0o600, major: 5, minor: 1 });
  for (const d of ["proc", "sys", "dev", "tmp"]) entries.push({ kind: "dir", path: d, mode: d === "tmp" ? 0o1777 : 0o755 });
  let modBytes = 0;
  const list: string[] = [];
  for (const m of spec.modules) {
    const data = await readFile(m);
    const p = `lib/modules/bench/${path.basename(m)}`;
    entries.push({ kind: "data", path: p, mode: 0o644, data });
    list.push(`/${p}`);
    modBytes += data.length;
  }
  entries.push({ kind: "data", path: "etc/bench/modules", mode: 0o644, data: Buffer.from(list.map((l) => `${l}\n`).join("")) });
  const size = await writeCpio(spec.out, entries);
  return { file: spec.out, size, parts: { init: initBytes.length, modules: modBytes, rootfsFiles: files } };
}
