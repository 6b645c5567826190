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
//
// Libraries the program opens with dlopen cannot be seen in its headers, so the user names them
// (`--lib`, the config's `libs`): each is looked up as dlopen would from the main program, after
// the DT_NEEDED closure, and its own DT_NEEDED closure follows.

import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import { UninodeError, errnoCode } from "../errors.js";
import { ElfError, readElf, type ElfFile } from "./elf.js";
import { systemLibraryDirs } from "./ldconfig.js";

export type FoundVia = "interpreter" | "path" | "rpath" | "runpath" | "system";

/**
 * The directories the loader in the VM searches by itself: glibc's built-in system path (`ld.so
 * --help`). The image has no /etc/ld.so.cache, so a library the host finds in another ld.so.conf
 * directory (/usr/local/lib) goes to the first of these in the image, where the VM's loader looks.
 */
export const LOADER_SYSTEM_DIRS: readonly string[] = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"];

/** ELF e_type of a shared object, and the DT_FLAGS_1 bit of a PIE executable, which glibc refuses to dlopen. */
const ET_DYN = 3;
const DF_1_PIE = 0x08000000n;

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
  /** Libraries the program opens with dlopen: sonames ("libz.so.1") or absolute host paths. */
  dlopen?: readonly string[];
  /** How the user named them, for errors: "--lib", 'package.json "uninode".libs'. */
  dlopenLabel?: string;
  /** Where files are looked up; default the host's. With another view, system directories are
   * LOADER_SYSTEM_DIRS and host paths are the view's paths. */
  fs?: LibraryFs;
}

export class LibraryNotFoundError extends UninodeError {
  /** The library name that was looked for, and the object that asked for it (absent for dlopen). */
  library?: string;
  neededBy?: string;
}

/**
 * How the resolver sees files: the host's own (the default), or an image's tree whose paths are
 * image paths and whose symlinks resolve inside it (images built from Debian packages).
 */
export interface LibraryFs {
  /** `p` with every symlink followed, when that is a regular file; else undefined. */
  realFile(p: string): Promise<string | undefined>;
  /** The ELF headers of a path realFile returned. */
  readElf(real: string): Promise<ElfFile>;
}

/** The host's files, as ld.so on the host would see them. */
export const HOST_LIBRARY_FS: LibraryFs = {
  async realFile(p) {
    try {
      if (!(await stat(p)).isFile()) return undefined;
      return await realpath(p);
    } catch {
      return undefined;
    }
  },
  readElf: (real) => readElf(real),
};

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
  if (program.interpreter === undefined && (program.dynamic?.needed.length ?? 0) === 0 && (options.dlopen?.length ?? 0) === 0) return result;

  const fs = options.fs ?? HOST_LIBRARY_FS;
  const systemDirs = options.systemDirs ?? (options.fs ? [...LOADER_SYSTEM_DIRS] : await systemLibraryDirs());
  // The main program's $ORIGIN is its real directory on the host (ld.so reads /proc/self/exe),
  // and the directory it is placed in inside the image.
  const programImagePath = options.programImagePath ?? program.path;
  const main: Node = {
    obj: undefined,
    elf: program,
    hostOrigin: path.dirname((await fs.realFile(program.path)) ?? program.path),
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
    const interp = await loadCandidate(fs, program.interpreter, program.interpreter, "interpreter", undefined);
    if (!interp) {
      throw notFound(program.interpreter, undefined,
        "INTERPRETER_NOT_FOUND",
        `${program.path} needs the dynamic loader ${program.interpreter}, which does not exist on this machine; install the C library it was built for.`,
      );
    }
    result.interpreter = interp;
    remember(interp);
  }

  const queue: Node[] = [main];
  // A new library joins the result, and its own DT_NEEDED are searched from it, RPATHs from LOADER.
  const admit = (found: SharedObject, loader: Node) => {
    remember(found);
    result.libraries.push(found);
    queue.push({
      obj: found,
      elf: found.elf,
      hostOrigin: path.dirname(found.hostPath),
      imageOrigin: path.posix.dirname(found.imagePath),
      loader,
      label: found.name,
    });
  };
  const follow = async () => {
    while (queue.length > 0) {
      const node = queue.shift()!;
      for (const needed of node.elf.dynamic?.needed ?? []) {
        if (byName.has(needed)) continue;
        const found = await search(fs, needed, node, systemDirs);
        if (!found) {
          const chain = node.obj ? ` (needed by ${node.obj.hostPath})` : "";
          throw notFound(needed, node.obj?.hostPath ?? program.path,
            "LIBRARY_NOT_FOUND",
            `${program.path} needs ${needed}${chain}, which is not in its RPATH/RUNPATH nor the system library directories; install it, or add it with --add HOSTPATH:IMAGEPATH.`,
          );
        }
        const same = byFile.get(found.realPath);
        if (same) {
          byName.set(needed, same);
          continue;
        }
        admit(found, node);
      }
    }
  };
  await follow();

  // dlopen at run time, once the startup closure is loaded: a name or file already loaded is
  // that object again, anything else is searched from the main program and brings its closure.
  const label = options.dlopenLabel ?? "--lib";
  for (const want of options.dlopen ?? []) {
    if (byName.has(want)) continue;
    const found = want.startsWith("/") ? await openLibraryPath(fs, want, label) : await search(fs, want, main, systemDirs);
    if (!found) {
      throw notFound(want, undefined,
        "LIBRARY_NOT_FOUND",
        `${label} ${want}: no such library in ${path.basename(program.path)}'s RPATH/RUNPATH nor the system library directories (ldconfig -p lists them); install it, or give its absolute path.`,
      );
    }
    if (byFile.has(found.realPath)) continue;
    admit(found, main);
    await follow();
  }
  return result;
}

/** The error for a library that is nowhere: the message, and the names a caller may reword it with. */
function notFound(library: string, neededBy: string | undefined, code: string, message: string): LibraryNotFoundError {
  const err = new LibraryNotFoundError(code, message);
  err.library = library;
  if (neededBy !== undefined) err.neededBy = neededBy;
  return err;
}

/** A library named by its absolute host path: it goes to the same path, as dlopen(PATH) opens it there. */
async function openLibraryPath(fs: LibraryFs, file: string, label: string): Promise<SharedObject> {
  const fail = (what: string) => new LibraryNotFoundError("LIBRARY_NOT_USABLE", `${label} ${file}: ${what}.`);
  let real: string | undefined;
  if (fs === HOST_LIBRARY_FS) {
    let st;
    try {
      st = await stat(file);
    } catch (err) {
      throw fail(errnoCode(err) === "ENOENT" ? "the file does not exist" : `the file cannot be read (${errnoCode(err) ?? "error"})`);
    }
    if (!st.isFile()) throw fail("not a file");
    real = await realpath(file);
  } else {
    real = await fs.realFile(file);
    if (real === undefined) throw fail("no such file in the image");
  }
  let elf: ElfFile;
  try {
    elf = await fs.readElf(real);
  } catch (err) {
    if (err instanceof UninodeError) throw fail("not an x86-64 ELF shared object");
    throw err;
  }
  if (elf.type !== ET_DYN || elf.kind === "static-pie" || ((elf.dynamic?.flags1 ?? 0n) & DF_1_PIE) !== 0n) {
    throw fail(`not an x86-64 ELF shared object (it is a ${elf.kind} program)`);
  }
  return { name: file, hostPath: file, realPath: real, imagePath: path.posix.normalize(file), via: "path", elf };
}

/** One DT_NEEDED lookup for the object `node`, in ld.so's order. */
async function search(fs: LibraryFs, name: string, node: Node, systemDirs: string[]): Promise<SharedObject | undefined> {
  const by = node.obj?.hostPath ?? node.elf.path;
  if (name.includes("/")) {
    // A name with a slash is a path, used as is (relative to the loader's cwd, as in ld.so).
    return loadCandidate(fs, name, name, "path", by);
  }
  const dyn = node.elf.dynamic;
  if (dyn?.runpath === undefined) {
    // DT_RPATH of this object, then of each loader up to the main program; an object with a
    // DT_RUNPATH contributes no RPATH.
    for (let n: Node | undefined = node; n; n = n.loader) {
      const d = n.elf.dynamic;
      if (d?.rpath === undefined || d.runpath !== undefined) continue;
      const hit = await searchDirs(fs, name, expandPath(d.rpath, n), "rpath", by);
      if (hit) return hit;
    }
  }
  if (dyn?.runpath !== undefined) {
    const hit = await searchDirs(fs, name, expandPath(dyn.runpath, node), "runpath", by);
    if (hit) return hit;
  }
  const inImage = (d: string) => (LOADER_SYSTEM_DIRS.includes(path.normalize(d)) ? d : LOADER_SYSTEM_DIRS[0]!);
  return searchDirs(fs, name, systemDirs.map((d) => ({ host: d, image: inImage(d) })), "system", by);
}

interface SearchDir {
  host: string;
  image: string;
}

async function searchDirs(fs: LibraryFs, name: string, dirs: SearchDir[], via: FoundVia, by: string): Promise<SharedObject | undefined> {
  for (const dir of dirs) {
    // ld.so joins strings without normalizing ("bin/../lib/x.so"), and so does ldd's output.
    const hostPath = `${dir.host.replace(/\/+$/, "")}/${name}`;
    const hit = await loadCandidate(fs, hostPath, path.posix.join(dir.image, name), via, by, name);
    if (hit) return hit;
  }
  return undefined;
}

/**
 * The object at `hostPath` if it exists and is an x86-64 ELF64 shared object. Like ld.so, a file of
 * the wrong class or machine (a 32-bit lib in /usr/lib) is skipped and the search goes on.
 */
async function loadCandidate(
  fs: LibraryFs,
  hostPath: string,
  imagePath: string,
  via: FoundVia,
  neededBy: string | undefined,
  name = hostPath,
): Promise<SharedObject | undefined> {
  const real = await fs.realFile(hostPath);
  if (real === undefined) return undefined;
  let elf: ElfFile;
  try {
    elf = await fs.readElf(real);
  } catch (err) {
    if (err instanceof ElfError) return undefined;
    throw err;
  }
  const obj: SharedObject = {
    name,
    hostPath,
    realPath: real,
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
