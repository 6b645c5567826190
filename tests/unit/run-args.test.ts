// `uninode run IMAGE -- ARGS`: the arg= tokens, the boot file's fixedargs for programs and apps,
// the kernel command line's size limit, and images built before arguments could be replaced.

import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareBuild, writeBuild } from "../../src/image/build.js";
import { parseBootFile, renderBootFile } from "../../src/image/manifest.js";
import { planExec } from "../../src/image/plan.js";
import { UsageError } from "../../src/errors.js";
import { KERNEL_CMDLINE_MAX, bootArgTokens, checkKernelCmdline, percentEscape } from "../../src/vm/cmdline.js";
import { HELLO_C, compileC, tempDir, runCli } from "./helpers.js";

const tmp = tempDir();
let hello: string;
let kernel: string;

beforeAll(() => {
  hello = compileC(tmp.dir, "hello", HELLO_C);
  kernel = compileC(tmp.dir, "fake-kernel", "int main(void) { return 0; }\n", ["-static"]);
});
afterAll(() => tmp.cleanup());

function cli(argv: string[]) {
  return runCli(argv, tmp.dir, { XDG_CACHE_HOME: path.join(tmp.dir, "cache"), UNINODE_KERNEL: kernel });
}

describe("arg= kernel tokens", () => {
  it("escape spaces, percent signs and non-ASCII bytes as %XX, and keep empty words", () => {
    expect(bootArgTokens(["a", "b c", "100%", "é", ""])).toEqual(["arg=a", "arg=b%20c", "arg=100%25", "arg=%c3%a9", "arg="]);
    expect(percentEscape("x=\t")).toBe("x=%09");
  });

  it("refuse a command line the kernel would cut, counting what microvm and -d add", () => {
    expect(() => checkKernelCmdline("a".repeat(KERNEL_CMDLINE_MAX))).not.toThrow();
    expect(() => checkKernelCmdline("a".repeat(KERNEL_CMDLINE_MAX + 1))).toThrow(UsageError);
    expect(() => checkKernelCmdline("a".repeat(KERNEL_CMDLINE_MAX), { detached: true })).toThrow(/holds 1012/);
    expect(() => checkKernelCmdline("a".repeat(KERNEL_CMDLINE_MAX - 40), { machine: "microvm" })).toThrow(/holds 943/);
  });

  it("refuse more env= tokens than the kernel keeps", () => {
    const env = Array.from({ length: 33 }, (_, i) => `env=V${i}=1`).join(" ");
    expect(() => checkKernelCmdline(env)).toThrow(/at most 32 -e values/);
  });
});

describe("fixedargs in the boot file", () => {
  it("is written and read back", () => {
    const boot = { exec: "/app/x", argv: ["x", "a"], fixedArgs: 1, env: [], cwd: "/app" };
    const text = renderBootFile(boot);
    expect(text).toBe("exec /app/x\narg x\narg a\nfixedargs 1\ncwd /app\n");
    expect(parseBootFile(text)).toEqual(boot);
  });

  it("keeps argv[0] of a program", async () => {
    const plan = await planExec({ program: hello, args: ["one", "two"], env: [], adds: [] });
    expect(plan.boot.fixedArgs).toBe(1);
  });

  it("keeps node, its options and the entry of an app", async () => {
    const dir = path.join(tmp.dir, "app");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "a", scripts: { start: "node --no-warnings main.js x y" } }));
    writeFileSync(path.join(dir, "main.js"), "");
    const o = await cli(["build", dir, "-o", "app.img", "--json"]);
    expect(o.status).toBe(0);
    const insp = await cli(["inspect", "--json", "app.img"]);
    const m = JSON.parse(insp.stdout).manifest;
    expect(m.argv.slice(0, 3)).toEqual(["node", "--no-warnings", "/app/main.js"]);
    expect(m.argv.slice(3)).toEqual(["x", "y"]);
    expect(m.fixedArgs).toBe(3);
  });
});

describe("uninode run IMAGE -- ARGS, before the VM starts", () => {
  it("refuses arguments the kernel command line cannot hold, in one sentence", async () => {
    expect((await cli(["build", "--exec", hello, "-o", "new.img"])).status).toBe(0);
    const o = await cli(["run", "new.img", "--", "x".repeat(600), "y".repeat(600)]);
    expect(o.status).toBe(2);
    expect(o.stderr).toMatch(/^uninode: The arguments after --, the -e values and the mount points take 1209 bytes on the kernel command line, which holds 1023; shorten them, or build them into the image\.\n$/);
  });

  it("refuses arguments for an image built before they could be replaced", async () => {
    const plan = await planExec({ program: hello, args: [], env: [], adds: [] });
    delete plan.boot.fixedArgs;
    const prepared = await prepareBuild(plan, kernel);
    const old = path.join(tmp.dir, "old.img");
    await writeBuild(prepared, old);
    expect(readFileSync(old).includes("fixedargs")).toBe(false);
    const o = await cli(["run", "old.img", "--", "x"]);
    expect(o.status).toBe(1);
    expect(o.stderr).toBe("uninode: old.img was built before an image's arguments could be replaced; rebuild it to pass arguments after --.\n");
  });
});
