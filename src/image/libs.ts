// Finds every shared object a dynamic ELF program loads, the way ld.so (and so ldd) would, by
// reading ELF headers only: PT_INTERP, then each DT_NEEDED breadth-first, searched through
// DT_RPATH (only when the object has no DT_RUNPATH, and up the chain of loaders), DT_RUNPATH,
// ld.so.conf's directories and glibc's defaults. LD_LIBRARY_PATH is deliberately ignored: the
// image must not depend on the builder's shell.
//
// Each object keeps the path it was found under (a symlink like /lib/x86_64-linux-gnu/libc.so.6
// stays that name in the image) and where its contents really are. Paths built from $ORIGIN are
// expanded twice: against the host (to find the file) and against the object's place in the
// image (so the loader in the VM finds it at the same relative spot).

import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import { UninodeError } from "../errors.js";
import { ElfError, readElf, type ElfFile } from "./elf.js";
import { systemLibraryDirs } from "./ldconfig.js";

export type FoundVia = "interpreter" | "path" | "rpath" | "runpath" | "system";

export interface SharedObject {
  /** The name it was asked for: a DT_NEEDED entry, or the PT_INTERP path. */
  name: string;
  /** The host path it was found at, unresolved (may be a symlink). */
  hostPath: string;
  /** The host file whose contents go into the image. */
  realPath: string;
  /** Where it goes in the image (absolute, normalized). */
  imagePath: string;
  via: FoundVia;
  elf: ElfFile;
  /** The object whose DT_NEEDED asked for it; undefined for the interpreter. */
  neededBy?: string;
}

export interface LibraryResolution {
  /** The dynamic loader (PT_INTERP); undefined for static programs. */
  interpreter?: SharedObject;
  /** The shared libraries in load order (breadth-first), without the interpreter. */
  libraries: SharedObject[];
}

export interface ResolveOptions {
  /** Where the program itself sits in the image; its $ORIGIN there. Default: its host path. */
  programImagePath?: string;
  /** Overrides the ld.so.conf + default directories (tests). */
  systemDirs?: string[];
}

export class LibraryNotFoundError extends UninodeError {}

interface Node {
  obj: SharedObject | undefined; // undefined for the main program
  elf: ElfFile;
  hostOrigin: string;
  imageOrigin: string;
  loader: Node | undefined;
  label: string;
}

/** Resolves the interpreter and all shared libraries of `program` transitively. */
export async function resolveLibraries(program: ElfFile, options: ResolveOptions = {}): Promise<LibraryResolution> {
  const result: LibraryResolution = { libraries: [] };
  if (program.interpreter === undefined && (program.dynamic?.needed.length ?? 0) === 0) return result;

  const systemDirs = options.systemDirs ?? (await systemLibraryDirs());
  // The main program's $ORIGIN is its real directory on the host (ld.so reads /proc/self/exe),
  // and the directory it is placed in inside the image.
  const programImagePath = options.programImagePath ?? program.path;
  const main: Node = {
    obj: undefined,
    elf: program,
    hostOrigin: path.dirname(await realpath(program.path)),
    imageOrigin: path.posix.dirname(programImagePath),
    loader: undefined,
    label: path.basename(program.path),
  };

  // Objects already loaded, by every name ld.so would match: the DT_NEEDED name, the path, the
  // SONAME, and the real file (ld.so never maps the same file twice).
  const byName = new Map<string, SharedObject>();
  const byFile = new Map<string, SharedObject>();
  const remember = (o: SharedObject) => {
    byName.set(o.name, o);
    byName.set(o.hostPath, o);
    if (o.elf.dynamic?.soname) byName.set(o.elf.dynamic.soname, o);
    byFile.set(o.realPath, o);
  };

  if (program.interpreter !== undefined) {
    const interp = await loadCandidate(program.interpreter, program.interpreter, "interpreter", undefined);
    if (!interp) {
      throw new LibraryNotFoundError(
        "INTERPRETER_NOT_FOUND",
        `${program.path} needs the dynamic loader ${program.interpreter}, which does not exist on this machine; install the C library it was built for.`,
      );
    }
    result.interpreter = interp;
    remember(interp);
  }

  const queue: Node[] = [main];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const needed of node.elf.dynamic?.needed ?? []) {
      if (byName.has(needed)) continue;
      const found = await search(needed, node, systemDirs);
      if (!found) {
        const chain = node.obj ? ` (needed by ${node.obj.hostPath})` : "";
        throw new LibraryNotFoundError(
          "LIBRARY_NOT_FOUND",
          `${program.path} needs ${needed}${chain}, which is not in its RPATH/RUNPATH nor the system library directories; install it, or add it with --add HOSTPATH:IMAGEPATH.`,
        );
      }
      const same = byFile.get(found.realPath);
      if (same) {
        byName.set(needed, same);
        continue;
      }
      remember(found);
      result.libraries.push(found);
      queue.push({
        obj: found,
        elf: found.elf,
        hostOrigin: path.dirname(found.hostPath),
        imageOrigin: path.posix.dirname(found.imagePath),
        loader: node,
        label: found.name,
      });
    }
  }
  return result;
}

/** One DT_NEEDED lookup for the object `node`, in ld.so's order. */
async function search(name: string, node: Node, systemDirs: string[]): Promise<SharedObject | undefined> {
  const by = node.obj?.hostPath ?? node.elf.path;
  if (name.includes("/")) {
    // A name with a slash is a path, used as is (relative to the loader's cwd, as in ld.so).
    return loadCandidate(name, name, "path", by);
  }
  const dyn = node.elf.dynamic;
  if (dyn?.runpath === undefined) {
    // DT_RPATH of this object, then of each loader up to the main program; an object with a
    // DT_RUNPATH contributes no RPATH.
    for (let n: Node | undefined = node; n; n = n.loader) {
      const d = n.elf.dynamic;
      if (d?.rpath === undefined || d.runpath !== undefined) continue;
      const hit = await searchDirs(name, expandPath(d.rpath, n), "rpath", by);
      if (hit) return hit;
    }
  }
  if (dyn?.runpath !== undefined) {
    const hit = await searchDirs(name, expandPath(dyn.runpath, node), "runpath", by);
    if (hit) return hit;
  }
  return searchDirs(name, systemDirs.map((d) => ({ host: d, image: d })), "system", by);
}

interface SearchDir {
  host: string;
  image: string;
}

async function searchDirs(name: string, dirs: SearchDir[], via: FoundVia, by: string): Promise<SharedObject | undefined> {
  for (const dir of dirs) {
    // ld.so joins strings without normalizing ("bin/../lib/x.so"), and so does ldd's output.
    const hostPath = `${dir.host.replace(/\/+$/, "")}/${name}`;
    const hit = await loadCandidate(hostPath, path.posix.join(dir.image, name), via, by, name);
    if (hit) return hit;
  }
  return undefined;
}

/**
 * The object at `hostPath` if it exists and is an x86-64 ELF64 shared object. Like ld.so, a file of
 * the wrong class or machine (a 32-bit lib in /usr/lib) is skipped and the search goes on.
 */
async function loadCandidate(
  hostPath: string,
  imagePath: string,
  via: FoundVia,
  neededBy: string | undefined,
  name = hostPath,
): Promise<SharedObject | undefined> {
  try {
    const st = await stat(hostPath);
    if (!st.isFile()) return undefined;
  } catch {
    return undefined;
  }
  let elf: ElfFile;
  try {
    elf = await readElf(hostPath);
  } catch (err) {
    if (err instanceof ElfError) return undefined;
    throw err;
  }
  const obj: SharedObject = {
    name,
    hostPath,
    realPath: await realpath(hostPath),
    imagePath: path.posix.normalize(imagePath.startsWith("/") ? imagePath : "/" + imagePath),
    via,
    elf,
  };
  if (neededBy !== undefined) obj.neededBy = neededBy;
  return obj;
}

/**
 * Splits an RPATH/RUNPATH and expands $ORIGIN, $LIB and $PLATFORM, once for the host and once for
 * the image. Empty entries mean the current directory in ld.so; they are dropped here, since the
 * VM's cwd is not the builder's.
 */
function expandPath(value: string, node: Node): SearchDir[] {
  const out: SearchDir[] = [];
  for (const entry of value.split(":")) {
    if (entry === "") continue;
    const sub = (origin: string) =>
      entry
        .replace(/\$\{ORIGIN\}|\$ORIGIN(?![A-Za-z0-9_])/g, origin)
        .replace(/\$\{LIB\}|\$LIB(?![A-Za-z0-9_])/g, "lib/x86_64-linux-gnu")
        .replace(/\$\{PLATFORM\}|\$PLATFORM(?![A-Za-z0-9_])/g, "x86_64");
    out.push({ host: sub(node.hostOrigin), image: path.posix.normalize(sub(node.imageOrigin)) });
  }
  return out;
}
