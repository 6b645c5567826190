// Apps installed by pnpm: node_modules/NAME are symlinks into node_modules/.pnpm, where each
// package sits beside symlinks to its own dependencies. The fixture is made by hand in pnpm's
// shape (no pnpm needed): links stay links in the image and the packages they reach are packed.

import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli.js";
import type { CommandContext } from "../../src/commands/command.js";
import { extractSection, readImage } from "../../src/image/image.js";
import { loadApp } from "../../src/node/app.js";
import { planApp } from "../../src/node/pack.js";
import type { NodeRuntime } from "../../src/node/runtime.js";
import { requireTool } from "../../src/tools.js";
import { HELLO_C, compileC, tempDir } from "./helpers.js";

const tmp = tempDir();
let runtime: NodeRuntime;
let kernel: string;
let app: string;

/** app/ with dependencies a (which needs b) and devDependency d, laid out as pnpm does. */
function pnpmApp(dir: string, absoluteLink: boolean): void {
  const write = (rel: string, content: string | object) => {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  };
  const link = (rel: string, target: string) => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    symlinkSync(target, path.join(dir, rel));
  };
  write("package.json", { name: "pnpm-app", main: "index.js", dependencies: { a: "1" }, devDependencies: { d: "1" } });
  write("pnpm-lock.yaml", "lockfileVersion: '9.0'\n");
  write("index.js", "console.log(require('a'));\n");
  write("node_modules/.pnpm/a@1.0.0/node_modules/a/package.json", { name: "a", version: "1.0.0", dependencies: { b: "1" } });
  write("node_modules/.pnpm/a@1.0.0/node_modules/a/index.js", "module.exports = 'a+' + require('b');\n");
  write("node_modules/.pnpm/b@1.0.0/node_modules/b/package.json", { name: "b", version: "1.0.0" });
  write("node_modules/.pnpm/b@1.0.0/node_modules/b/index.js", "module.exports = 'b';\n");
  write("node_modules/.pnpm/d@1.0.0/node_modules/d/package.json", { name: "d", version: "1.0.0" });
  link("node_modules/.pnpm/a@1.0.0/node_modules/b", "../../b@1.0.0/node_modules/b");
  link("node_modules/a", absoluteLink ? path.join(dir, "node_modules/.pnpm/a@1.0.0/node_modules/a") : ".pnpm/a@1.0.0/node_modules/a");
  link("node_modules/d", ".pnpm/d@1.0.0/node_modules/d");
}

beforeAll(() => {
  runtime = { path: compileC(tmp.dir, "node", HELLO_C), version: "20.11.0", source: "host" };
  kernel = compileC(tmp.dir, "fake-kernel", "int main(void) { return 0; }\n", ["-static"]);
  app = path.join(tmp.dir, "app");
  pnpmApp(app, false);
});
afterAll(() => tmp.cleanup());

describe("a pnpm-installed app", () => {
  it("keeps the links and packs the packages they reach, devDependencies left out", async () => {
    const { plan, summary } = await planApp(await loadApp(app, "app"), { runtime, env: [] });
    const deps = [...plan.entries.values()]
      .filter((e) => e.imagePath.startsWith("/app/node_modules/"))
      .map((e) => (e.type === "symlink" ? `${e.imagePath} -> ${e.target}` : e.type === "file" ? e.imagePath : undefined))
      .filter((s) => s !== undefined)
      .sort();
    expect(deps).toEqual([
      "/app/node_modules/.pnpm/a@1.0.0/node_modules/a/index.js",
      "/app/node_modules/.pnpm/a@1.0.0/node_modules/a/package.json",
      "/app/node_modules/.pnpm/a@1.0.0/node_modules/b -> ../../b@1.0.0/node_modules/b",
      "/app/node_modules/.pnpm/b@1.0.0/node_modules/b/index.js",
      "/app/node_modules/.pnpm/b@1.0.0/node_modules/b/package.json",
      "/app/node_modules/a -> .pnpm/a@1.0.0/node_modules/a",
    ]);
    expect(summary.deps.via).toBe("node_modules");
  });

  it("makes an absolute link relative, so it holds inside the image", async () => {
    const abs = path.join(tmp.dir, "abs");
    pnpmApp(abs, true);
    const { plan } = await planApp(await loadApp(abs, "abs"), { runtime, env: [] });
    expect(plan.entries.get("/app/node_modules/a")).toMatchObject({ type: "symlink", target: ".pnpm/a@1.0.0/node_modules/a" });
  });

  it("builds an image whose root fs has the links", async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let err = "";
    stderr.on("data", (b: Buffer) => (err += b.toString()));
    stdout.resume();
    const ctx: CommandContext = {
      stdin: new PassThrough(), stdout, stderr, cwd: tmp.dir, interactive: false,
      env: { PATH: process.env["PATH"], XDG_CACHE_HOME: path.join(tmp.dir, "cache"), UNINODE_KERNEL: kernel },
    };
    const status = await main(["build", app, "-o", "app.img"], ctx);
    expect(err).toBe("");
    expect(status).toBe(0);
    const image = await readImage(path.join(tmp.dir, "app.img"));
    const rootfs = path.join(tmp.dir, "rootfs.ext2");
    await extractSection(image, "rootfs", rootfs);
    const debugfs = await requireTool("debugfs");
    const stat = (p: string) => execFileSync(debugfs, ["-R", `stat ${p}`, rootfs], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    expect(stat("/app/node_modules/a")).toMatch(/Type: symlink[\s\S]*Fast link dest: "\.pnpm\/a@1\.0\.0\/node_modules\/a"/);
    expect(stat("/app/node_modules/.pnpm/a@1.0.0/node_modules/b")).toMatch(/Fast link dest: "\.\.\/\.\.\/b@1\.0\.0\/node_modules\/b"/);
    expect(stat("/app/node_modules/.pnpm/b@1.0.0/node_modules/b/index.js")).toMatch(/Type: regular/);
  });
});
