import { copyFileSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ElfError, PT_INTERP, PT_LOAD, readElf } from "../../src/image/elf.js";
import { UninodeError } from "../../src/errors.js";
import { HELLO_C, compileC, fakeElfHeader, tempDir } from "./helpers.js";

const tmp = tempDir();
let dynamicHello: string;
let staticHello: string;
let staticPieHello: string;

beforeAll(() => {
  dynamicHello = compileC(tmp.dir, "hello-dyn", HELLO_C);
  staticHello = compileC(tmp.dir, "hello-static", HELLO_C, ["-static"]);
  staticPieHello = compileC(tmp.dir, "hello-static-pie", HELLO_C, ["-static-pie"]);
});
afterAll(() => tmp.cleanup());

describe("readElf on real binaries", () => {
  it("reads node: dynamic, with the glibc loader and its DT_NEEDED list", async () => {
    const node = await readElf(process.execPath);
    expect(node.kind).toBe("dynamic");
    expect(node.interpreter).toBe("/lib64/ld-linux-x86-64.so.2");
    expect(node.dynamic?.needed).toContain("libc.so.6");
    expect(node.programHeaders.some((p) => p.type === PT_LOAD)).toBe(true);
  });

  it("reads a dynamic hello compiled with gcc", async () => {
    const elf = await readElf(dynamicHello);
    expect(elf.kind).toBe("dynamic");
    expect(elf.type).toBe(3); // gcc on Debian defaults to PIE
    expect(elf.interpreter).toBe("/lib64/ld-linux-x86-64.so.2");
    expect(elf.dynamic?.needed).toEqual(["libc.so.6"]);
    expect(elf.programHeaders.find((p) => p.type === PT_INTERP)).toBeDefined();
  });

  it("reads a static hello: ET_EXEC, no interpreter, nothing needed", async () => {
    const elf = await readElf(staticHello);
    expect(elf.kind).toBe("static");
    expect(elf.type).toBe(2);
    expect(elf.interpreter).toBeUndefined();
    expect(elf.dynamic?.needed ?? []).toEqual([]);
  });

  it("reads a static-pie hello: ET_DYN marked PIE, no interpreter", async () => {
    const elf = await readElf(staticPieHello);
    expect(elf.kind).toBe("static-pie");
    expect(elf.type).toBe(3);
    expect(elf.interpreter).toBeUndefined();
    expect(elf.dynamic?.needed).toEqual([]);
  });

  it("reads a shared library's SONAME", async () => {
    const libc = await readElf("/lib/x86_64-linux-gnu/libc.so.6");
    expect(libc.dynamic?.soname).toBe("libc.so.6");
  });

  it("reads DT_RUNPATH with $ORIGIN as written", async () => {
    const withRunpath = compileC(tmp.dir, "hello-runpath", HELLO_C, ["-Wl,-rpath,$ORIGIN/../lib", "-Wl,--enable-new-dtags"]);
    const elf = await readElf(withRunpath);
    expect(elf.dynamic?.runpath).toBe("$ORIGIN/../lib");
    expect(elf.dynamic?.rpath).toBeUndefined();
    const withRpath = compileC(tmp.dir, "hello-rpath", HELLO_C, ["-Wl,-rpath,/opt/x/lib", "-Wl,--disable-new-dtags"]);
    expect((await readElf(withRpath)).dynamic?.rpath).toBe("/opt/x/lib");
  });
});

describe("readElf errors", () => {
  const expectCode = async (file: string, code: string) => {
    const err = await readElf(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UninodeError);
    expect((err as UninodeError).code).toBe(code);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message.split("\n")).toHaveLength(1);
    return err as UninodeError;
  };

  it("rejects a text file as not an ELF", async () => {
    const f = path.join(tmp.dir, "script.sh");
    writeFileSync(f, "#!/bin/sh\necho hi\n");
    const err = await expectCode(f, "ELF_NOT_ELF");
    expect(err).toBeInstanceOf(ElfError);
  });

  it("rejects an empty file as not an ELF", async () => {
    const f = path.join(tmp.dir, "empty");
    writeFileSync(f, "");
    await expectCode(f, "ELF_NOT_ELF");
  });

  it("rejects a 32-bit ELF", async () => {
    const f = path.join(tmp.dir, "i386");
    writeFileSync(f, fakeElfHeader(1, 3));
    const err = await expectCode(f, "ELF_32BIT");
    expect(err.message).toMatch(/32-bit/);
  });

  it("rejects a 64-bit ELF for another machine", async () => {
    const f = path.join(tmp.dir, "aarch64");
    writeFileSync(f, fakeElfHeader(2, 183));
    const err = await expectCode(f, "ELF_NOT_X86_64");
    expect(err.message).toMatch(/AArch64/);
  });

  it("rejects a truncated binary", async () => {
    const f = path.join(tmp.dir, "truncated");
    copyFileSync(dynamicHello, f);
    truncateSync(f, 100); // past the ELF header, before the end of the program headers
    await expectCode(f, "ELF_TRUNCATED");
    truncateSync(f, 30); // inside the ELF header
    await expectCode(f, "ELF_TRUNCATED");
  });

  it("says when the file does not exist or is a directory", async () => {
    await expectCode(path.join(tmp.dir, "nope"), "FILE_NOT_FOUND");
    await expectCode(tmp.dir, "ELF_NOT_A_FILE");
  });
});
