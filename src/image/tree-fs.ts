// A plan's entries seen as a file system: paths are image paths, and symlinks resolve inside the
// image (an absolute target starts again at the image's root, as it will in the VM). Used to
// find a program's libraries among the files an image will hold rather than the host's.

import path from "node:path";
import { ElfError, readElf, type ElfFile } from "./elf.js";
import type { LibraryFs } from "./libs.js";
import type { PlanEntry } from "./plan.js";

/** Linux gives up after 40 symlinks in one lookup (ELOOP). */
const MAX_SYMLINKS = 40;

/**
 * `p` resolved inside `entries`: every symlink followed (the last one too unless `followLast` is
 * false), "." and ".." applied. Undefined when a component is missing, is not a directory where
 * one is needed, or the links loop. A directory that only holds entries (not listed itself) counts.
 */
export function resolveInPlan(entries: ReadonlyMap<string, PlanEntry>, p: string, followLast = true): string | undefined {
  let rest = p.split("/").filter((c) => c !== "" && c !== ".");
  let cur = "/";
  let hops = 0;
  while (rest.length > 0) {
    const name = rest.shift()!;
    if (name === "..") {
      cur = path.posix.dirname(cur);
      continue;
    }
    const next = cur === "/" ? `/${name}` : `${cur}/${name}`;
    const e = entries.get(next);
    if (e === undefined) {
      // Parent directories are implied by their children until finishPlan lists them.
      if (rest.length > 0 && hasChildren(entries, next)) {
        cur = next;
        continue;
      }
      return undefined;
    }
    if (e.type === "symlink" && (rest.length > 0 || followLast)) {
      if (++hops > MAX_SYMLINKS) return undefined;
      rest = [...e.target.split("/").filter((c) => c !== "" && c !== "."), ...rest];
      if (e.target.startsWith("/")) cur = "/";
      continue;
    }
    if (rest.length > 0 && e.type !== "dir") return undefined;
    cur = next;
  }
  return cur;
}

function hasChildren(entries: ReadonlyMap<string, PlanEntry>, dir: string): boolean {
  const prefix = dir + "/";
  for (const k of entries.keys()) if (k.startsWith(prefix)) return true;
  return false;
}

/** The library resolver's view of a plan: files by image path, ELF headers read from their host files. */
export function planLibraryFs(entries: ReadonlyMap<string, PlanEntry>): LibraryFs {
  return {
    async realFile(p) {
      const real = resolveInPlan(entries, p);
      const e = real === undefined ? undefined : entries.get(real);
      return e !== undefined && (e.type === "file" || e.type === "data") ? real : undefined;
    },
    async readElf(real): Promise<ElfFile> {
      const e = entries.get(real);
      if (e?.type !== "file") throw new ElfError("NOT_ELF", `${real} is not an ELF file.`);
      return { ...(await readElf(e.hostPath)), path: real };
    },
  };
}
