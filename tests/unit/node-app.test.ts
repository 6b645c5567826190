// Building a Node app: entry-point rules, the config schema's messages, production dependencies,
// ignore files, native addons, and byte-identical rebuilds. Apps are made on the spot in a temp
// dir; a small C program stands in for the node binary (any ELF does for packing).

import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli.js";
import type { CommandContext } from "../../src/commands/command.js";
import { UninodeError } from "../../src/errors.js";
import { loadApp, parseStartScript } from "../../src/node/app.js";
import { validateConfig } from "../../src/node/config.js";
import { isIgnored, parseIgnore } from "../../src/node/ignore.js";
import { planApp } from "../../src/node/pack.js";
import type { NodeRuntime } from "../../src/node/runtime.js";
import { HELLO_C, compileC, fakeElfHeader, tempDir } from "./helpers.js";

const tmp = tempDir();
let fakeNode: string;
let kernel: string;
let runtime: NodeRuntime;
let n = 0;

beforeAll(() => {
  fakeNode = compileC(tmp.dir, "node", HELLO_C);
  kernel = compileC(tmp.dir, "fake-kernel", "int main(void) { return 0; }\n", ["-static"]);
  runtime = { path: fakeNode, version: "20.11.0", source: "host" };
});
afterAll(() => tmp.cleanup());

/** Writes an app: `files` maps relative paths to contents (objects become JSON). */
function makeApp(files: Record<string, string | object | Buffer>): string {
  const dir = path.join(tmp.dir, `app${n++}`);
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, Buffer.isBuffer(content) ? content : typeof content === "string" ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

async function failure(p: Promise<unknown>): Promise<UninodeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(UninodeError);
    const e = err as UninodeError;
    // One sentence: ends with a period, no line breaks.
    expect(e.message).toMatch(/^[^\n]+\.$/);
    return e;
  }
  throw new Error("expected a failure");
}

describe("entry point rules", () => {
  it("takes the config's entry first", async () => {
    const dir = makeApp({ "package.json": { main: "a.js", scripts: { start: "node b.js" }, uninode: { entry: "c.js" } }, "a.js": "", "b.js": "", "c.js": "" });
    expect((await loadApp(dir, "app")).entry).toMatchObject({ file: "c.js", reason: 'the config\'s "entry"' });
  });

  it("then scripts.start when it is node FILE, with node options and arguments", async () => {
    const dir = makeApp({ "package.json": { main: "a.js", scripts: { start: "node --enable-source-maps -r ./setup.js srv/main.js --port 3000" } }, "a.js": "", "srv/main.js": "" });
    expect((await loadApp(dir, "app")).entry).toEqual({
      file: "srv/main.js",
      nodeArgs: ["--enable-source-maps", "-r", "./setup.js"],
      args: ["--port", "3000"],
      reason: 'scripts.start "node --enable-source-maps -r ./setup.js srv/main.js --port 3000"',
    });
  });

  it("takes `node .` as the package's main", async () => {
    const dir = makeApp({ "package.json": { main: "lib/main.js", scripts: { start: "node ." } }, "lib/main.js": "" });
    expect((await loadApp(dir, "app")).entry).toMatchObject({ file: "lib/main.js", reason: 'scripts.start "node ."' });
  });

  it("then main (resolved as require does), when start is not a plain node command", async () => {
    const dir = makeApp({ "package.json": { main: "lib/app", scripts: { start: "NODE_ENV=prod node x.js && echo done" } }, "lib/app.js": "" });
    expect((await loadApp(dir, "app")).entry).toMatchObject({ file: "lib/app.js", reason: 'package.json "main"' });
  });

  it("then server.js, then index.js", async () => {
    expect((await loadApp(makeApp({ "package.json": {}, "server.js": "", "index.js": "" }), "a")).entry.file).toBe("server.js");
    expect((await loadApp(makeApp({ "package.json": {}, "index.js": "" }), "a")).entry.file).toBe("index.js");
  });

  it("says what to do when there is none, or it does not exist", async () => {
    expect((await failure(loadApp(makeApp({ "package.json": {} }), "myapp"))).message).toBe(
      'myapp has no entry point: no "main", no server.js or index.js; set "uninode": {"entry": "FILE"} in package.json.',
    );
    const e = await failure(loadApp(makeApp({ "package.json": { scripts: { start: "node gone.js" } } }), "myapp"));
    expect(e.message).toMatch(/^scripts.start runs gone.js, which does not exist in myapp/);
  });

  it("parses start scripts strictly", () => {
    expect(parseStartScript("node server.js")).toEqual({ nodeArgs: [], file: "server.js", args: [] });
    expect(parseStartScript("nodemon server.js")).toBeUndefined();
    expect(parseStartScript("node -e 'x'")).toBeUndefined();
    expect(parseStartScript("node server.js | tee log")).toBeUndefined();
    expect(parseStartScript("node --inspect")).toBeUndefined();
  });

  it("refuses a directory without package.json", async () => {
    const e = await failure(loadApp(makeApp({ "server.js": "" }), "plain"));
    expect(e.code).toBe("NO_PACKAGE_JSON");
    expect(e.message).toMatch(/^plain has no package.json/);
  });
});

describe("config schema", () => {
  const where = 'package.json "uninode"';
  const msg = (raw: unknown) => {
    try {
      validateConfig(raw, where);
    } catch (err) {
      return (err as Error).message;
    }
    return "valid";
  };

  it("accepts every field", () => {
    expect(
      validateConfig({ entry: "s.js", args: ["-v"], env: { A: "1" }, ports: [3000, "8080:3000"], memory: "512m", cpus: 2, node: "22", files: ["c.json:/etc/c.json"] }, where),
    ).toEqual({ entry: "s.js", args: ["-v"], env: { A: "1" }, ports: [{ host: 3000, guest: 3000 }, { host: 8080, guest: 3000 }], memory: "512M", cpus: 2, node: "22", files: ["c.json:/etc/c.json"] });
  });

  it("names an unknown field, suggests the near one, and lists them all", () => {
    expect(msg({ entyr: "x.js" })).toBe(
      'package.json "uninode" has an unknown field "entyr"; did you mean "entry"? the fields are entry, args, env, ports, memory, cpus, node, files, network, hosts, libs, volumes, readOnly.',
    );
  });

  it("names the field, what it expects and what it got", () => {
    expect(msg({ memory: 512 })).toBe('package.json "uninode".memory must be a size such as "512M" or "1G", got 512.');
    expect(msg({ cpus: 1.5 })).toBe('package.json "uninode".cpus must be a whole number from 1 to 64, got 1.5.');
    expect(msg({ env: { PORT: 3000 } })).toBe('package.json "uninode".env.PORT must be a string, got 3000; quote it ("3000").');
    expect(msg({ ports: ["80:99999"] })).toMatch(/^package.json "uninode".ports\[0\] must be a port such as 3000/);
    expect(msg({ node: "latest" })).toMatch(/\.node must be "host" or a Node version such as "22"/);
    expect(msg({ args: "--port 3000" })).toMatch(/\.args must be a list of strings/);
    expect(msg({ files: ["relative/only"] })).toMatch(/\.files\[0\] must be "HOSTPATH:IMAGEPATH"/);
    expect(msg(["entry"])).toMatch(/must be an object/);
  });

  it("reads uninode.json, and refuses two configs", async () => {
    const dir = makeApp({ "package.json": {}, "uninode.json": { entry: "x.js" }, "x.js": "" });
    expect((await loadApp(dir, "a")).configSource).toBe("uninode.json");
    const both = makeApp({ "package.json": { uninode: {} }, "uninode.json": {}, "x.js": "" });
    expect((await failure(loadApp(both, "a"))).message).toMatch(/both uninode.json and a "uninode" field/);
    const bad = makeApp({ "package.json": {}, "uninode.json": { ports: "3000" }, "index.js": "" });
    expect((await failure(loadApp(bad, "a"))).message).toMatch(/^uninode.json.ports must be a list/);
  });
});

describe("ignore files", () => {
  it("follows Docker's rules: directories, globs, **, ! and the last match", () => {
    const rules = parseIgnore("# comment\n/logs\n*.md\n!README.md\ntest/**/*.snap\nsecret?.txt\n");
    expect(isIgnored(rules, "logs/today.txt")).toBe(true);
    expect(isIgnored(rules, "src/logs")).toBe(false);
    expect(isIgnored(rules, "CHANGES.md")).toBe(true);
    expect(isIgnored(rules, "README.md")).toBe(false);
    expect(isIgnored(rules, "docs/x.md")).toBe(false); // *.md is for the top level only, as in Docker
    expect(isIgnored(rules, "test/a/b/c.snap")).toBe(true);
    expect(isIgnored(rules, "test/c.snap")).toBe(true);
    expect(isIgnored(rules, "secret1.txt")).toBe(true);
    expect(isIgnored(rules, "secret10.txt")).toBe(false);
  });
});

/** The image paths of a plan's files, by role. */
function filesOf(plan: Awaited<ReturnType<typeof planApp>>["plan"], role: string): string[] {
  return [...plan.entries.values()].filter((e) => (e.type === "file" || e.type === "data") && e.role === role).map((e) => e.imagePath).sort();
}

describe("packing an app", () => {
  const lock = (packages: Record<string, object>) => ({ name: "a", lockfileVersion: 3, requires: true, packages: { "": { name: "a" }, ...packages } });

  it("takes production packages from the lockfile, leaves dev ones and .bin out, and boots node ENTRY", async () => {
    const dir = makeApp({
      "package.json": { name: "a", dependencies: { lib: "1" }, devDependencies: { tool: "1" } },
      "package-lock.json": lock({
        "node_modules/lib": { version: "1.0.0" },
        "node_modules/lib/node_modules/inner": { version: "2.0.0" },
        "node_modules/tool": { version: "1.0.0", dev: true },
        "node_modules/fsevents": { version: "2.0.0", optional: true },
      }),
      "server.js": "require('lib')",
      "node_modules/lib/package.json": { name: "lib", version: "1.0.0" },
      "node_modules/lib/index.js": "",
      "node_modules/lib/node_modules/inner/package.json": { name: "inner", version: "2.0.0" },
      "node_modules/tool/package.json": { name: "tool", version: "1.0.0" },
      "node_modules/.bin/tool": "",
    });
    const { plan, summary } = await planApp(await loadApp(dir, "a"), { runtime, env: ["EXTRA=1"] });
    expect(filesOf(plan, "dependency")).toEqual([
      "/app/node_modules/lib/index.js",
      "/app/node_modules/lib/node_modules/inner/package.json",
      "/app/node_modules/lib/package.json",
    ]);
    expect(filesOf(plan, "app")).toEqual(["/app/package-lock.json", "/app/package.json", "/app/server.js"]);
    expect(summary.deps).toMatchObject({ via: "package-lock.json", devCount: 1 });
    expect(plan.boot).toMatchObject({ exec: "/usr/local/bin/node", argv: ["node", "/app/server.js"], cwd: "/app" });
    expect(plan.boot.env).toEqual(["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", "NODE_ENV=production", "EXTRA=1"]);
    expect(plan.meta).toMatchObject({ app: { name: "a", version: "0.0.0", entry: "server.js" }, node: { version: "20.11.0", source: "host" } });
  });

  it("walks node_modules from package.json when there is no lockfile", async () => {
    const dir = makeApp({
      "package.json": { dependencies: { a: "1" }, devDependencies: { d: "1" } },
      "index.js": "",
      "node_modules/a/package.json": { name: "a", dependencies: { b: "1" } },
      "node_modules/b/package.json": { name: "b" },
      "node_modules/d/package.json": { name: "d" },
    });
    const { plan, summary } = await planApp(await loadApp(dir, "a"), { runtime, env: [] });
    expect(filesOf(plan, "dependency")).toEqual(["/app/node_modules/a/package.json", "/app/node_modules/b/package.json"]);
    expect(summary.deps.via).toBe("node_modules");
  });

  it("says to run npm ci when dependencies are missing or stale", async () => {
    const missing = makeApp({ "package.json": { dependencies: { express: "4" } }, "package-lock.json": lock({ "node_modules/express": { version: "4.0.0" } }), "index.js": "" });
    const e = await failure(loadApp(missing, "shop").then((app) => planApp(app, { runtime, env: [] })));
    expect(e.message).toBe("The app's dependencies are not installed (express missing from shop/node_modules); run npm ci (or npm install) in shop first.");
    const stale = makeApp({
      "package.json": { dependencies: { x: "1" } },
      "package-lock.json": lock({ "node_modules/x": { version: "1.2.0" } }),
      "node_modules/x/package.json": { version: "1.1.0" },
      "index.js": "",
    });
    expect((await failure(loadApp(stale, "shop").then((app) => planApp(app, { runtime, env: [] })))).code).toBe("DEPS_OUT_OF_DATE");
    const noLock = makeApp({ "package.json": { dependencies: { y: "1" } }, "index.js": "" });
    expect((await failure(loadApp(noLock, "shop").then((app) => planApp(app, { runtime, env: [] })))).code).toBe("DEPS_NOT_INSTALLED");
  });

  it("leaves out what .uninodeignore lists (over .dockerignore), .git, and the output image", async () => {
    const dir = makeApp({
      "package.json": {},
      "index.js": "",
      ".dockerignore": "*.js\n",
      ".uninodeignore": "logs\n*.log\n!keep.log\n",
      "logs/a.txt": "",
      "x.log": "",
      "keep.log": "",
      ".git/HEAD": "",
      "out.img": "",
    });
    const { plan, summary } = await planApp(await loadApp(dir, "a"), { runtime, env: [], exclude: [path.join(dir, "out.img")] });
    expect(filesOf(plan, "app")).toEqual(["/app/.dockerignore", "/app/.uninodeignore", "/app/index.js", "/app/keep.log", "/app/package.json"]);
    expect(summary.ignoreFile).toBe(".uninodeignore");
    const ignoredEntry = makeApp({ "package.json": {}, "index.js": "", ".dockerignore": "index.js\n" });
    expect((await failure(loadApp(ignoredEntry, "a").then((app) => planApp(app, { runtime, env: [] })))).code).toBe("ENTRY_IGNORED");
  });
});

describe("native addons", () => {
  it("includes a Linux x86-64 addon with the shared libraries it needs", async () => {
    const src = path.join(tmp.dir, "addon-src");
    mkdirSync(src, { recursive: true });
    const so = compileC(src, "addon.node", "#include <math.h>\ndouble f(double x) { return cos(x); }\n", ["-shared", "-fPIC", "-lm"]);
    const dir = makeApp({ "package.json": { dependencies: { nat: "1" } }, "index.js": "", "node_modules/nat/package.json": { name: "nat" } });
    mkdirSync(path.join(dir, "node_modules/nat/build/Release"), { recursive: true });
    copyFileSync(so, path.join(dir, "node_modules/nat/build/Release/nat.node"));
    const { plan, summary } = await planApp(await loadApp(dir, "a"), { runtime, env: [] });
    expect(summary.addons).toEqual(["node_modules/nat/build/Release/nat.node"]);
    expect(filesOf(plan, "library").some((p) => /\/libm\.so\.6$/.test(p))).toBe(true);
  });

  it("refuses an addon for another platform, naming it", async () => {
    const cases: [string, Buffer, RegExp][] = [
      ["mac.node", Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1, 3, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]), /built for macOS/],
      ["arm.node", fakeElfHeader(2, 183), /built for Linux ARM64/],
      ["win.node", Buffer.from("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8\x00\x00\x00", "latin1"), /built for Windows/],
    ];
    for (const [name, bytes, pattern] of cases) {
      const dir = makeApp({ "package.json": {}, "index.js": "", [`lib/${name}`]: bytes });
      const e = await failure(loadApp(dir, "a").then((app) => planApp(app, { runtime, env: [] })));
      expect(e.code).toBe("ADDON_WRONG_PLATFORM");
      expect(e.message).toMatch(new RegExp(`^The native addon lib/${name} is built for`));
      expect(e.message).toMatch(pattern);
    }
  });

  it("leaves out prebuilds for other platforms instead of refusing them", async () => {
    const dir = makeApp({
      "package.json": {},
      "index.js": "",
      "prebuilds/darwin-arm64/x.node": Buffer.from([0xcf, 0xfa, 0xed, 0xfe]),
      "prebuilds/linux-x64/x.musl.node": fakeElfHeader(2, 62),
    });
    const { summary } = await planApp(await loadApp(dir, "a"), { runtime, env: [] });
    expect(summary.skippedAddons).toEqual(["prebuilds/darwin-arm64/x.node", "prebuilds/linux-x64/x.musl.node"]);
  });
});

describe("uninode build APP_DIR", () => {
  const cli = (argv: string[]) => cliWithPath(argv, process.env["PATH"] ?? "");
  async function cliWithPath(argv: string[], PATH: string) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stdout.on("data", (b: Buffer) => out.push(b));
    stderr.on("data", (b: Buffer) => err.push(b));
    const ctx: CommandContext = {
      stdin: new PassThrough(),
      stdout,
      stderr,
      // --node host: the node on PATH, the one running these tests.
      env: { PATH, XDG_CACHE_HOME: path.join(tmp.dir, "cache"), UNINODE_KERNEL: kernel },
      cwd: tmp.dir,
      interactive: false,
    };
    const status = await main(argv, ctx);
    return { status, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
  }

  it("prints the entry, deps and a size breakdown, and a rebuild is byte-identical and cached", async () => {
    const dir = makeApp({ "package.json": { name: "@acme/web", scripts: { start: "node web.js" } }, "web.js": "console.log(1)" });
    const a = path.join(tmp.dir, "web-a.img");
    const b = path.join(tmp.dir, "web-b.img");
    const r1 = await cli(["build", dir, "-o", a, "--node", "host"]);
    expect(r1.stderr).toBe("");
    expect(r1.status).toBe(0);
    expect(r1.stdout).toMatch(/^entry {4}web.js \(from scripts.start "node web.js"\)\n/m);
    expect(r1.stdout).toMatch(/^sizes {4}node [\d.]+ \w+, libs [\d.]+ \w+, app [\d.]+ \w+, node_modules 0 B, kernel [\d.]+ \w+/m);
    expect(r1.stdout).toMatch(/tagged acme-web\n$/);
    const r2 = await cli(["build", dir, "-o", b, "--node", "host"]);
    expect(r2.status).toBe(0);
    expect(r2.stdout).toMatch(/unchanged since the last build/);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  });

  it("prints JSON with --json, and inspect reads the image back by tag", async () => {
    const dir = makeApp({ "package.json": { name: "jsonapp", version: "2.1.0", uninode: { ports: ["8080:3000"], memory: "512M", cpus: 2 } }, "index.js": "" });
    const r = await cli(["build", dir, "--json", "--node", "host"]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ tag: "jsonapp", app: "jsonapp", entry: "index.js", entryReason: "the default index.js", nodeSource: "host" });
    expect(out["sizes"]).toMatchObject({ app: expect.any(Number), node: expect.any(Number), kernel: expect.any(Number) });
    const text = await cli(["inspect", "jsonapp"]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^app {6}jsonapp 2\.1\.0, entry index\.js$/m);
    expect(text.stdout).toMatch(/^argv {5}"node" "\/app\/index\.js"$/m);
    expect(text.stdout).toMatch(/^ports {4}8080:3000$/m);
    expect(text.stdout).toMatch(/^memory {3}512M$/m);
    const json = JSON.parse((await cli(["inspect", "--json", "jsonapp"])).stdout) as { manifest: { cpus: number; files: { path: string; sha256: string }[] } };
    expect(json.manifest.cpus).toBe(2);
    expect(json.manifest.files.find((f) => f.path === "/app/index.js")?.sha256).toMatch(/^[0-9a-f]{64}$/);
    const missing = await cli(["inspect", "nosuchtag"]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe("uninode: nosuchtag is neither an image file nor the tag of one; check the name.\n");
  });

  it("says so when the host's node does not answer --version", async () => {
    const dir = makeApp({ "package.json": {}, "index.js": "" });
    const r = await cliWithPath(["build", dir, "-o", path.join(tmp.dir, "y.img")], `${tmp.dir}:${process.env["PATH"]}`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/node did not answer --version with a version; choose a runtime with --node 22\.\n$/);
  });

  it("exits 1 with one sentence for an app without package.json", async () => {
    const dir = makeApp({ "index.js": "" });
    const r = await cli(["build", dir, "-o", path.join(tmp.dir, "x.img")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^uninode: \S+ has no package.json, so it is not a Node app; [^\n]+\.\n$/);
  });
});
