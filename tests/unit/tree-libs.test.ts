// Finding a program's libraries among an image's own files (images from Debian packages): ld.so's
// order (RUNPATH with $ORIGIN, then its default directories) applied to the plan's paths, symlinks
// resolved inside the image, never the host's files.

import { realpathSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readElf } from "../../src/image/elf.js";
import { LibraryNotFoundError, resolveLibraries } from "../../src/image/libs.js";
import type { PlanEntry } from "../../src/image/plan.js";
import { planLibraryFs, resolveInPlan } from "../../src/image/tree-fs.js";
import { compileC, tempDir } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const file = (imagePath: string, hostPath: string): PlanEntry => ({ type: "file", imagePath, hostPath, role: "package", mode: 0o755 });
const link = (imagePath: string, target: string): PlanEntry => ({ type: "symlink", imagePath, target });
const dir = (imagePath: string): PlanEntry => ({ type: "dir", imagePath, mode: 0o755 });

/** A Debian-shaped tree (not merged-/usr: libc in /lib, the loader reached through /lib64) of host-built files. */
function tree(): Map<string, PlanEntry> {
  const greet = compileC(tmp.dir, "libgreet.so.1.0.0", "int greet(void) { return 1; }\n", ["-shared", "-fPIC", "-Wl,-soname,libgreet.so.1"]);
  const priv = compileC(tmp.dir, "libpriv.so", "int priv(void) { return 2; }\n", ["-shared", "-fPIC"]);
  const prog = compileC(tmp.dir, "prog", "int greet(void); int priv(void); int main(void) { return greet() + priv(); }\n", [
    "-L", tmp.dir, "-l:libgreet.so.1.0.0", "-l:libpriv.so", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib/app",
  ]);
  const entries: PlanEntry[] = [
    dir("/lib"), dir("/lib/x86_64-linux-gnu"), dir("/lib64"), dir("/usr"), dir("/usr/bin"), dir("/usr/lib"), dir("/usr/lib/app"), dir("/usr/lib/x86_64-linux-gnu"),
    file("/lib/x86_64-linux-gnu/libc.so.6", realpathSync("/lib/x86_64-linux-gnu/libc.so.6")),
    file("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", realpathSync("/lib64/ld-linux-x86-64.so.2")),
    link("/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
    file("/usr/lib/x86_64-linux-gnu/libgreet.so.1.0.0", greet),
    link("/usr/lib/x86_64-linux-gnu/libgreet.so.1", "libgreet.so.1.0.0"),
    file("/usr/lib/app/libpriv.so", priv),
    file("/usr/bin/prog", prog),
  ];
  return new Map(entries.map((e) => [e.imagePath, e]));
}

describe("resolveInPlan", () => {
  const m = new Map<string, PlanEntry>([
    ["/a", dir("/a")],
    ["/a/f", file("/a/f", "/dev/null")],
    ["/a/rel", link("/a/rel", "../a/./f")],
    ["/abs", link("/abs", "/a")],
    ["/loop1", link("/loop1", "loop2")],
    ["/loop2", link("/loop2", "loop1")],
  ]);
  it("follows relative and absolute links inside the image, and '..'", () => {
    expect(resolveInPlan(m, "/a/rel")).toBe("/a/f");
    expect(resolveInPlan(m, "/abs/rel")).toBe("/a/f");
    expect(resolveInPlan(m, "/abs/../a/f")).toBe("/a/f");
    expect(resolveInPlan(m, "/a/rel", false)).toBe("/a/rel");
  });
  it("gives nothing for a missing path, a file used as a directory, or a loop", () => {
    expect(resolveInPlan(m, "/a/nope")).toBeUndefined();
    expect(resolveInPlan(m, "/a/f/x")).toBeUndefined();
    expect(resolveInPlan(m, "/loop1")).toBeUndefined();
  });
});

describe("resolveLibraries inside a plan", () => {
  it("finds the loader through /lib64, system libraries by their links, and RUNPATH $ORIGIN ones", async () => {
    const entries = tree();
    const prog = entries.get("/usr/bin/prog") as { hostPath: string };
    const elf = { ...(await readElf(prog.hostPath)), path: "/usr/bin/prog" };
    const r = await resolveLibraries(elf, { programImagePath: "/usr/bin/prog", fs: planLibraryFs(entries) });
    expect(r.interpreter).toMatchObject({ imagePath: "/lib64/ld-linux-x86-64.so.2", realPath: "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" });
    const byName = new Map(r.libraries.map((l) => [l.name, l]));
    expect(byName.get("libgreet.so.1")).toMatchObject({ via: "system", imagePath: "/usr/lib/x86_64-linux-gnu/libgreet.so.1", realPath: "/usr/lib/x86_64-linux-gnu/libgreet.so.1.0.0" });
    expect(byName.get("libpriv.so")).toMatchObject({ via: "runpath", imagePath: "/usr/lib/app/libpriv.so" });
    expect(byName.get("libc.so.6")).toMatchObject({ via: "system", realPath: "/lib/x86_64-linux-gnu/libc.so.6" });
    expect(r.libraries).toHaveLength(3);
  });

  it("never falls back to the host: a library the tree lacks is an error naming it", async () => {
    const entries = tree();
    entries.delete("/lib/x86_64-linux-gnu/libc.so.6"); // the host has it; the image does not
    const prog = entries.get("/usr/bin/prog") as { hostPath: string };
    const elf = { ...(await readElf(prog.hostPath)), path: "/usr/bin/prog" };
    const err = await resolveLibraries(elf, { programImagePath: "/usr/bin/prog", fs: planLibraryFs(entries) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibraryNotFoundError);
    expect((err as LibraryNotFoundError).library).toBe("libc.so.6");
  });

  it("reports a missing loader as the interpreter", async () => {
    const entries = tree();
    entries.delete("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
    const prog = entries.get("/usr/bin/prog") as { hostPath: string };
    const elf = { ...(await readElf(prog.hostPath)), path: "/usr/bin/prog" };
    const err = (await resolveLibraries(elf, { programImagePath: "/usr/bin/prog", fs: planLibraryFs(entries) }).catch((e: unknown) => e)) as LibraryNotFoundError;
    expect(err.code).toBe("INTERPRETER_NOT_FOUND");
    expect(err.library).toBe("/lib64/ld-linux-x86-64.so.2");
    expect(path.isAbsolute(err.library!)).toBe(true);
  });
});
