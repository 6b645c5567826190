// Native addons (`*.node`): each must be a shared object Node on Linux x86-64 with glibc can
// load. Anything else is named and refused; prebuilt copies for other platforms that packages ship
// beside the right one (prebuilds/darwin-arm64/..., *.musl.node) are simply left out.

import { open } from "node:fs/promises";
import { UninodeError } from "../errors.js";
import { readElf, type ElfFile } from "../image/elf.js";

export class AddonError extends UninodeError {}

const ELF_MACHINES: Record<number, string> = { 3: "x86 (32-bit)", 40: "ARM (32-bit)", 62: "x86-64", 183: "ARM64 (aarch64)", 243: "RISC-V", 21: "PowerPC64", 22: "s390x" };
const ELF_OSABI: Record<number, string> = { 0: "Linux", 3: "Linux", 9: "FreeBSD", 12: "OpenBSD", 2: "NetBSD", 6: "Solaris" };

/** Should this addon path be left out because it is a prebuild for another platform? */
export function isForeignPrebuild(rel: string): boolean {
  const m = /(?:^|\/)prebuilds\/([^/]+)\//.exec(rel);
  if (m) {
    const dir = m[1]!;
    if (!/^linux-x64(\b|$|[-+@])/.test(dir)) return true; // darwin-arm64, win32-x64, linux-arm64, linuxmusl-x64
  }
  // prebuildify tags: node.napi.musl.node, *.armv7.node
  return /\.(musl|armv\d|arm64|ia32)\.(?:[^/]*\.)?node$/.test(rel) || /(?:^|\/)(?:linuxmusl|alpine)[^/]*\//.test(rel);
}

/** What the addon at `file` was built for, when it is not Linux x86-64 glibc; undefined when it is fine. */
export async function foreignPlatform(file: string): Promise<string | undefined> {
  const head = Buffer.alloc(20);
  const fh = await open(file, "r");
  let n: number;
  try {
    ({ bytesRead: n } = await fh.read(head, 0, head.length, 0));
  } finally {
    await fh.close();
  }
  const magic = n >= 4 ? head.readUInt32BE(0) : 0;
  if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(magic)) return "macOS (a Mach-O file)";
  if (n >= 2 && head.toString("latin1", 0, 2) === "MZ") return "Windows (a PE DLL)";
  if (magic !== 0x7f454c46) return "no known platform (it is not an ELF shared object)";
  if (head[4] === 1) return `${ELF_MACHINES[head.readUInt16LE(18)] ?? "a 32-bit machine"}`;
  const machine = head.readUInt16LE(18);
  if (machine !== 62) return `Linux ${ELF_MACHINES[machine] ?? `machine ${machine}`}`;
  const osabi = head[7]!;
  if (osabi !== 0 && osabi !== 3) return `${ELF_OSABI[osabi] ?? `OS ABI ${osabi}`} x86-64`;
  return undefined;
}

/** Reads the addon and refuses it, naming it, unless Node on Linux x86-64 with glibc can load it. */
export async function checkAddon(file: string, label: string): Promise<ElfFile> {
  const foreign = await foreignPlatform(file);
  if (foreign !== undefined) throw refused(label, foreign);
  let elf: ElfFile;
  try {
    elf = await readElf(file);
  } catch (err) {
    throw new AddonError("ADDON_INVALID", `The native addon ${label} cannot be used: ${(err as Error).message}`);
  }
  if (elf.kind !== "shared-library" && elf.kind !== "dynamic") throw refused(label, "no shared-object use (it is not a shared library)");
  const needed = elf.dynamic?.needed ?? [];
  if (needed.some((n) => n === "libc.so" || n.startsWith("libc.musl-") || n.startsWith("ld-musl-"))) throw refused(label, "musl libc (Alpine Linux)");
  return elf;
}

function refused(label: string, platform: string): AddonError {
  return new AddonError(
    "ADDON_WRONG_PLATFORM",
    `The native addon ${label} is built for ${platform}, not Linux x86-64 with glibc; reinstall the app's dependencies on Linux x86-64 (npm ci, or npm rebuild) before building.`,
  );
}
