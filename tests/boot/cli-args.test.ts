// `uninode run IMAGE -- ARGS`: the arguments replace the image's own (arg= kernel tokens and the
// boot file's fixedargs), for a program image and for a Node app image. Boots the real kernel
// under QEMU (TCG here): seconds per test.

import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-boot-args-"));
  execFileSync("gcc", ["-O1", "-o", join(work, "args_env"), join(root, "tests/conformance/c/args_env.c")]);
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

function uninode(args: string[]) {
  return execa("node", [cli, ...args], { cwd: work, reject: false, env: { XDG_CACHE_HOME: join(work, "cache") } });
}

describe("run IMAGE -- ARGS", () => {
  it("replaces a program's argv[1..] exactly, spaces, percent signs and empty words included", async () => {
    const built = await uninode(["build", "--exec", "./args_env", "-o", "prog.img", "--", "7", "built-in"]);
    expect(built.stderr).toBe("");
    expect(built.exitCode).toBe(0);

    const own = await uninode(["run", "--timeout", "300", "prog.img"]);
    expect(own.stdout).toContain("argc=3\nargv[1]=7\nargv[2]=built-in\n");
    expect(own.exitCode).toBe(7);

    const replaced = await uninode(["run", "--timeout", "300", "prog.img", "--", "5", "b c", "100%", ""]);
    expect(replaced.stderr).toBe("");
    expect(replaced.stdout).toContain("argc=5\nargv[1]=5\nargv[2]=b c\nargv[3]=100%\nargv[4]=\n");
    expect(replaced.exitCode).toBe(5);
  });

  it("replaces a Node app's config args after the entry, keeping node's options and the entry", async () => {
    const dir = join(work, "app");
    await mkdir(dir);
    await writeFile(
      join(dir, "package.json"),
      JSON.stringify({ name: "argv-app", scripts: { start: "node --stack-size=2000 main.js --from-config" } }),
    );
    await writeFile(join(dir, "main.js"), "console.log(JSON.stringify([process.execArgv, process.argv.slice(1)]));\n");
    const built = await uninode(["build", dir, "-o", "app.img"]);
    expect(built.exitCode).toBe(0);

    const r = await uninode(["run", "--timeout", "300", "app.img", "--", "a", "b c"]);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual([["--stack-size=2000"], ["/app/main.js", "a", "b c"]]);
    expect(r.exitCode).toBe(0);
  });
});
