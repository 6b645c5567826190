// Libraries a program opens with dlopen, named by the user (--lib, the config's "libs"): found as
// the loader finds them (checked against ldconfig -p and ldd on this machine), placed where the
// VM's loader looks, with their own closure; every mistake is one sentence naming the library.

import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli.js";
import type { CommandContext } from "../../src/commands/command.js";
import { UninodeError } from "../../src/errors.js";
import { readElf } from "../../src/image/elf.js";
import { resolveLibraries, type ResolveOptions } from "../../src/image/libs.js";
import { planExec } from "../../src/image/plan.js";
import { loadApp } from "../../src/node/app.js";
import { validateConfig } from "../../src/node/config.js";
import { planApp } from "../../src/node/pack.js";
import { HELLO_C, compileC, fakeElfHeader, lddMap, tempDir } from "./helpers.js";

const tmp = tempDir();
let hello: string;
beforeAll(() => {
  hello = compileC(tmp.dir, "hello", HELLO_C);
});
afterAll(() => tmp.cleanup());

/** Where ldconfig's cache says the x86-64 `name` is. */
function ldconfigPath(name: string): string {
  const out = execFileSync("ldconfig", ["-p"], { encoding: "utf8" });
  const line = out.split("\n").find((l) => l.trim().startsWith(`${name} (`) && l.includes("x86-64"));
  if (line === undefined) throw new Error(`ldconfig -p does not list ${name}`);
  return line.slice(line.indexOf("=> ") + 3).trim();
}

async function resolveFor(program: string, dlopen: string[], extra: ResolveOptions = {}) {
  return resolveLibraries(await readElf(program), { programImagePath: "/app/prog", dlopen, ...extra });
}

async function failure(p: Promise<unknown>): Promise<UninodeError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(UninodeError);
  return err as UninodeError;
}

describe("the config's libs", () => {
  const where = 'package.json "uninode"';
  const msg = (raw: unknown) => {
    try {
      validateConfig(raw, where);
      return "valid";
    } catch (err) {
      return (err as Error).message;
    }
  };

  it("takes library names and absolute paths", () => {
    expect(validateConfig({ libs: ["libvips-cpp.so.42", "/opt/lib/libx.so"] }, where)).toEqual({ libs: ["libvips-cpp.so.42", "/opt/lib/libx.so"] });
  });

  it("refuses anything else in one sentence naming the field", () => {
    expect(msg({ libs: "libz.so.1" })).toBe(`${where}.libs must be a list of library names or absolute paths such as ["libnss_dns.so.2"], got "libz.so.1".`);
    expect(msg({ libs: ["libz.so.1", "lib/x.so"] })).toBe(`${where}.libs[1] must be a library name such as "libvips-cpp.so.42" or an absolute host path, got "lib/x.so".`);
    expect(msg({ libs: [42] })).toMatch(/^package\.json "uninode"\.libs\[0\] must be a library name .* got 42\.$/);
    expect(msg({ libs: [""] })).toMatch(/libs\[0\] must be a library name/);
    expect(msg({ lib: ["libz.so.1"] })).toMatch(/unknown field "lib"; did you mean "libs"\?/);
  });
});

describe("libraries named for dlopen", () => {
  it("finds a name where ldconfig -p says, in the same place in the image, after the program's own", async () => {
    const r = await resolveFor(hello, ["libz.so.1"]);
    const z = r.libraries.find((l) => l.name === "libz.so.1")!;
    expect(z.hostPath).toBe(ldconfigPath("libz.so.1"));
    expect(z.imagePath).toBe(z.hostPath);
    expect(r.libraries.map((l) => l.name)).toEqual(["libc.so.6", "libz.so.1"]);
  });

  it("brings the named library's own DT_NEEDED closure, as ldd lists it", async () => {
    const r = await resolveFor(hello, ["libstdc++.so.6"]);
    const got = new Map(r.libraries.map((l) => [l.name, l.hostPath]));
    const want = lddMap(ldconfigPath("libstdc++.so.6"));
    want.delete("/lib64/ld-linux-x86-64.so.2");
    want.set("libstdc++.so.6", ldconfigPath("libstdc++.so.6"));
    expect(got).toEqual(want);
    expect(got.has("libgcc_s.so.1")).toBe(true);
  });

  it("adds nothing for a library the program loads already", async () => {
    const plain = await resolveFor(hello, []);
    expect(await resolveFor(hello, ["libc.so.6", ldconfigPath("libc.so.6")])).toEqual(plain);
  });

  it("places a library from an ld.so.conf directory where the VM's loader looks, having no ld.so.cache", async () => {
    const local = path.join(tmp.dir, "usr-local-lib");
    mkdirSync(local, { recursive: true });
    compileC(local, "libplug.so.1", "int plug(void) { return 7; }\n", ["-shared", "-fPIC", "-Wl,-soname,libplug.so.1"]);
    const r = await resolveFor(hello, ["libplug.so.1"], { systemDirs: [local, "/lib/x86_64-linux-gnu"] });
    const plug = r.libraries.find((l) => l.name === "libplug.so.1")!;
    expect(plug.hostPath).toBe(path.join(local, "libplug.so.1"));
    expect(plug.imagePath).toBe("/lib/x86_64-linux-gnu/libplug.so.1");
  });

  it("puts an absolute path at the same path and follows its $ORIGIN RUNPATH from there", async () => {
    const dir = path.join(tmp.dir, "plugins");
    mkdirSync(dir, { recursive: true });
    compileC(dir, "libdep.so", "int dep(void) { return 1; }\n", ["-shared", "-fPIC", "-Wl,-soname,libdep.so"]);
    const plugin = compileC(dir, "plugin.so", "int dep(void); int plugin(void) { return dep(); }\n", [
      "-shared", "-fPIC", `-L${dir}`, "-ldep", "-Wl,-rpath,$ORIGIN", "-Wl,--enable-new-dtags",
    ]);
    const r = await resolveFor(hello, [plugin]);
    expect(r.libraries.find((l) => l.name === plugin)?.imagePath).toBe(plugin);
    const dep = r.libraries.find((l) => l.name === "libdep.so")!;
    expect(dep.via).toBe("runpath");
    expect(dep.imagePath).toBe(path.join(dir, "libdep.so"));
  });

  it("names a library that cannot be found, or a file that is not a shared object, in one sentence", async () => {
    const nope = await failure(resolveFor(hello, ["libnope-uninode.so.9"]));
    expect(nope.code).toBe("LIBRARY_NOT_FOUND");
    expect(nope.message).toBe(
      "--lib libnope-uninode.so.9: no such library in hello's RPATH/RUNPATH nor the system library directories (ldconfig -p lists them); install it, or give its absolute path.",
    );
    const labelled = await failure(resolveFor(hello, ["libnope-uninode.so.9"], { dlopenLabel: "uninode.json.libs" }));
    expect(labelled.message).toMatch(/^uninode\.json\.libs libnope-uninode\.so\.9: no such library/);

    const text = path.join(tmp.dir, "notes.so");
    writeFileSync(text, "not a library\n");
    const arm = path.join(tmp.dir, "libarm.so");
    writeFileSync(arm, fakeElfHeader(2, 183));
    const missing = path.join(tmp.dir, "gone.so");
    expect((await failure(resolveFor(hello, [text]))).message).toBe(`--lib ${text}: not an x86-64 ELF shared object.`);
    expect((await failure(resolveFor(hello, [arm]))).message).toBe(`--lib ${arm}: not an x86-64 ELF shared object.`);
    expect((await failure(resolveFor(hello, [hello]))).message).toBe(`--lib ${hello}: not an x86-64 ELF shared object (it is a dynamic program).`);
    expect((await failure(resolveFor(hello, [missing]))).message).toBe(`--lib ${missing}: the file does not exist.`);
    expect((await failure(resolveFor(hello, [tmp.dir]))).message).toBe(`--lib ${tmp.dir}: not a file.`);
  });

  it("records the libraries with role library in an --exec plan and an app's plan", async () => {
    const plan = await planExec({ program: hello, args: [], env: [], adds: [], libs: ["libz.so.1"] });
    const z = plan.entries.get(ldconfigPath("libz.so.1"));
    expect(z?.type === "file" && z.role).toBe("library");

    const dir = path.join(tmp.dir, "app");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "a", uninode: { libs: ["libz.so.1"] } }));
    writeFileSync(path.join(dir, "index.js"), "");
    const node = path.join(tmp.dir, "node");
    copyFileSync(hello, node);
    const { plan: app } = await planApp(await loadApp(dir, "a"), { runtime: { path: node, version: "20.11.0", source: "host" }, env: [] });
    const appZ = app.entries.get(ldconfigPath("libz.so.1"));
    expect(appZ?.type === "file" && appZ.role).toBe("library");

    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "a", uninode: { libs: ["libnope-uninode.so.9"] } }));
    const err = await failure(planApp(await loadApp(dir, "a"), { runtime: { path: node, version: "20.11.0", source: "host" }, env: [] }));
    expect(err.message).toMatch(/^package\.json "uninode"\.libs libnope-uninode\.so\.9: no such library in node's/);
  });
});

describe("--lib on the command line", () => {
  async function cli(argv: string[]) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const err: Buffer[] = [];
    stderr.on("data", (b: Buffer) => err.push(b));
    const ctx: CommandContext = {
      stdin: new PassThrough(),
      stdout,
      stderr,
      env: { PATH: process.env["PATH"], XDG_CACHE_HOME: path.join(tmp.dir, "cache") },
      cwd: tmp.dir,
      interactive: false,
    };
    const status = await main(argv, ctx);
    return { status, stderr: Buffer.concat(err).toString() };
  }

  it("needs --exec, a name or an absolute path, and a library that exists: one sentence each", async () => {
    const noExec = await cli(["run", "some-image", "--lib", "libz.so.1"]);
    expect(noExec.status).toBe(2);
    expect(noExec.stderr).toBe("uninode: --lib needs --exec: an image's files and environment are fixed when it is built.\n");
    const relative = await cli(["build", "--exec", hello, "-o", path.join(tmp.dir, "x.img"), "--lib", "lib/x.so"]);
    expect(relative.status).toBe(2);
    expect(relative.stderr).toBe('uninode: --lib expects a library name such as libz.so.1 or an absolute host path, got "lib/x.so".\n');
    const missing = await cli(["build", "--exec", hello, "-o", path.join(tmp.dir, "x.img"), "--lib", "libnope-uninode.so.9"]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^uninode: --lib libnope-uninode\.so\.9: no such library in hello's RPATH\/RUNPATH[^\n]*\.\n$/);
  });
});
