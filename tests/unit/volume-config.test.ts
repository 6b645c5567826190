// The config's "volumes" and "readOnly": validated with the rest of the config, carried in the
// image (host directories made absolute), merged with -v at `run`, and what QEMU is then given
// (a stand-in QEMU records its arguments; nothing boots).

import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, validateConfig } from "../../src/node/config.js";
import { tempDir, runCli, compileC } from "./helpers.js";

const tmp = tempDir();
const env = {
  XDG_DATA_HOME: path.join(tmp.dir, "data"),
  XDG_CACHE_HOME: path.join(tmp.dir, "cache"),
  XDG_STATE_HOME: path.join(tmp.dir, "state"),
};
let kernel: string;
let qemuDir: string;

beforeAll(() => {
  kernel = compileC(tmp.dir, "fake-kernel", "int main(void) { return 0; }\n", ["-static"]);
  // Records its arguments one per line, then fails as a QEMU that cannot start would.
  qemuDir = path.join(tmp.dir, "bin");
  mkdirSync(qemuDir);
  const bin = path.join(qemuDir, "qemu-system-x86_64");
  writeFileSync(bin, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > '${path.join(qemuDir, "args")}'\necho "qemu-system-x86_64: stand-in" >&2\nexit 1\n`);
  chmodSync(bin, 0o755);
});
afterAll(() => tmp.cleanup());

function cli(argv: string[], cwd = tmp.dir) {
  return runCli(argv, cwd, { ...env, UNINODE_KERNEL: kernel, PATH: `${qemuDir}:${process.env["PATH"]}` });
}
const qemuArgs = () => readFileSync(path.join(qemuDir, "args"), "utf8").trimEnd().split("\n");
const after = (args: string[], flag: string) => args.flatMap((a, i) => (args[i - 1] === flag ? [a] : []));

describe("config volumes and readOnly", () => {
  const check = (raw: unknown) => {
    try {
      validateConfig(raw, 'package.json "uninode"');
      return "ok";
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
  };

  it("accepts -v's syntax and a boolean", () => {
    expect(check({ volumes: ["dbdata:/var/lib/mysql", "./uploads:/app/uploads:ro"], readOnly: true })).toBe("ok");
  });

  it("names the field and the entry in each mistake", () => {
    expect(check({ volumes: "dbdata:/x" })).toMatch(/^package.json "uninode".volumes must be a list such as \["dbdata:\/var\/lib\/mysql"/);
    expect(check({ volumes: [3] })).toBe('package.json "uninode".volumes[0] must be a string such as "dbdata:/var/lib/mysql", got 3.');
    expect(check({ volumes: ["ok1:/a", "db:rel"] })).toBe('package.json "uninode".volumes[1] "db:rel": the mount point must be an absolute path such as /data.');
    expect(check({ volumes: ["ok1:/a", "./d:/a"] })).toBe('package.json "uninode".volumes mounts two things at /a; give each mount point once.');
    expect(check({ readOnly: "yes" })).toBe('package.json "uninode".readOnly must be true or false, got "yes".');
    expect(check({ readonly: true })).toMatch(/unknown field "readonly"; did you mean "readOnly"\?/);
  });
});

describe("run with the config's volumes and -v", () => {
  let app: string;

  beforeAll(async () => {
    app = path.join(tmp.dir, "app");
    mkdirSync(path.join(app, "uploads"), { recursive: true });
    mkdirSync(path.join(tmp.dir, "other"));
    writeFileSync(path.join(app, "server.js"), "");
    writeFileSync(
      path.join(app, "package.json"),
      JSON.stringify({ name: "voltest", version: "1.0.0", main: "server.js", uninode: { volumes: ["dbdata:/data", "./uploads:/app/uploads:ro"], readOnly: true } }),
    );
    expect((await cli(["volume", "create", "dbdata", "--size", "16M"])).status).toBe(0);
    expect((await cli(["volume", "create", "logs", "--size", "16M"])).status).toBe(0);
  });

  it("carries them in the image, host directories made absolute from the app directory", async () => {
    const built = await cli(["build", "app", "-o", "app.img"]);
    expect(built.stderr).toBe("");
    expect(built.status).toBe(0);
    const m = JSON.parse((await cli(["inspect", "--json", "app.img"])).stdout).manifest;
    expect(m.volumes).toEqual(["dbdata:/data", `${path.join(app, "uploads")}:/app/uploads:ro`]);
    expect(m.readOnly).toBe(true);
    const text = (await cli(["inspect", "app.img"])).stdout;
    expect(text).toContain(`volumes  dbdata:/data, ${path.join(app, "uploads")}:/app/uploads:ro\n`);
    expect(text).toContain("root     read-only (no writable layer)\n");
  });

  it("gives QEMU the disks and shares in mount= order, -v adding to the config and replacing at the same mount point", async () => {
    // Run from elsewhere: the config's ./uploads is still the app's.
    const o = await cli(["run", "--accel", "tcg", "-v", "../other:/app/uploads", "-v", "logs:/var/log/app:ro", "../app.img"], path.join(tmp.dir, "other"));
    expect(o.stderr).toMatch(/QEMU could not start the VM: stand-in\.\n$/);
    const args = qemuArgs();
    const cmdline = after(args, "-append")[0]!;
    expect(cmdline).toBe("readonly-root mount=ext4:vdb:/data mount=9p:share0:/app/uploads mount=ext4:vdc:/var/log/app:ro");
    expect(after(args, "-blockdev").slice(1)).toEqual([
      `driver=raw,node-name=vol0,file.driver=file,file.filename=${path.join(env.XDG_DATA_HOME, "uninode/volumes/dbdata/disk.img")},cache.direct=off,cache.no-flush=off`,
      `driver=raw,node-name=vol1,file.driver=file,file.filename=${path.join(env.XDG_DATA_HOME, "uninode/volumes/logs/disk.img")},cache.direct=off,cache.no-flush=off,read-only=on`,
    ]);
    expect(after(args, "-fsdev")).toEqual([`local,id=fs0,path=${path.join(tmp.dir, "other")},security_model=none`]);
    // The run is over: its locks are gone.
    expect((await cli(["volume", "inspect", "dbdata", "--json"])).stdout).toContain('"attachedTo": []');
  });

  it("--read-only alone adds readonly-root", async () => {
    expect((await cli(["build", "--exec", "/bin/true", "-o", "true.img"])).status).toBe(0);
    await cli(["run", "--accel", "tcg", "true.img"]);
    expect(after(qemuArgs(), "-append")).toEqual([]);
    await cli(["run", "--accel", "tcg", "--read-only", "true.img"]);
    expect(after(qemuArgs(), "-append")).toEqual(["readonly-root"]);
  });
});
