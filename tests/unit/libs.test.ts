import { mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readElf } from "../../src/image/elf.js";
import { readLdSoConf, systemLibraryDirs } from "../../src/image/ldconfig.js";
import { resolveLibraries, type LibraryResolution } from "../../src/image/libs.js";
import { UninodeError } from "../../src/errors.js";
import { HELLO_C, compileC, lddMap, tempDir } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** Our resolution in ldd's shape: needed name → host path (the interpreter maps to itself). */
function asLdd(r: LibraryResolution): Map<string, string> {
  const m = new Map<string, string>();
  if (r.interpreter) m.set(r.interpreter.name, r.interpreter.hostPath);
  for (const lib of r.libraries) m.set(lib.name, lib.hostPath);
  return m;
}

describe("resolveLibraries agrees with ldd", () => {
  for (const program of [process.execPath, "/bin/ls"]) {
    it(`for ${program}`, async () => {
      const r = await resolveLibraries(await readElf(program));
      expect(asLdd(r)).toEqual(lddMap(program));
    });
  }

  it("for a dynamic hello compiled with gcc", async () => {
    const hello = compileC(tmp.dir, "hello", HELLO_C);
    const r = await resolveLibraries(await readElf(hello), { programImagePath: "/app/hello" });
    expect(asLdd(r)).toEqual(lddMap(hello));
    // Symlink names are kept for the image; the contents come from the real file.
    expect(r.interpreter?.imagePath).toBe("/lib64/ld-linux-x86-64.so.2");
    const libc = r.libraries.find((l) => l.name === "libc.so.6")!;
    expect(libc.imagePath).toBe(libc.hostPath);
    expect(path.isAbsolute(libc.realPath)).toBe(true);
  });

  it("follows DT_RUNPATH with $ORIGIN, transitively, and places $ORIGIN libs relative to the image path", async () => {
    const lib = path.join(tmp.dir, "tree", "lib");
    const bin = path.join(tmp.dir, "tree", "bin");
    mkdirSync(lib, { recursive: true });
    mkdirSync(bin, { recursive: true });
    // libouter needs libinner; both live in lib/, found through libouter's own $ORIGIN.
    compileC(lib, "libinner.so", "int inner(void) { return 41; }\n", ["-shared", "-fPIC", "-Wl,-soname,libinner.so"]);
    compileC(lib, "libouter.so", "int inner(void); int outer(void) { return inner() + 1; }\n", [
      "-shared", "-fPIC", "-Wl,-soname,libouter.so", `-L${lib}`, "-linner", "-Wl,-rpath,$ORIGIN", "-Wl,--enable-new-dtags",
    ]);
    const prog = compileC(bin, "prog", "int outer(void); int main(void) { return outer() - 42; }\n", [
      `-L${lib}`, "-louter", "-Wl,-rpath,$ORIGIN/../lib", "-Wl,--enable-new-dtags",
    ]);
    const r = await resolveLibraries(await readElf(prog), { programImagePath: "/app/prog" });
    expect(asLdd(r)).toEqual(lddMap(prog));
    const outer = r.libraries.find((l) => l.name === "libouter.so")!;
    const inner = r.libraries.find((l) => l.name === "libinner.so")!;
    expect(outer.via).toBe("runpath");
    expect(outer.imagePath).toBe("/lib/libouter.so"); // /app/../lib
    expect(inner.imagePath).toBe("/lib/libinner.so");
  });

  it("names the missing library and who needs it", async () => {
    const lib = path.join(tmp.dir, "gone");
    mkdirSync(lib, { recursive: true });
    compileC(lib, "libgone.so", "int gone(void) { return 0; }\n", ["-shared", "-fPIC", "-Wl,-soname,libgone.so"]);
    const prog = compileC(tmp.dir, "needs-gone", "int gone(void); int main(void) { return gone(); }\n", [`-L${lib}`, "-lgone"]);
    const err = await resolveLibraries(await readElf(prog)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UninodeError);
    expect((err as UninodeError).code).toBe("LIBRARY_NOT_FOUND");
    expect((err as Error).message).toMatch(/needs libgone\.so/);
  });

  it("has nothing to resolve for a static program", async () => {
    const prog = compileC(tmp.dir, "static", HELLO_C, ["-static"]);
    expect(await resolveLibraries(await readElf(prog))).toEqual({ libraries: [] });
  });
});

describe("ld.so.conf", () => {
  it("lists the multiarch directories before the defaults", async () => {
    const conf = await readLdSoConf();
    expect(conf).toContain("/lib/x86_64-linux-gnu");
    const dirs = await systemLibraryDirs();
    expect(dirs.indexOf("/lib/x86_64-linux-gnu")).toBeLessThan(dirs.indexOf("/lib"));
    expect(new Set(dirs).size).toBe(dirs.length);
  });
});
