// The console's input side and /proc, as Node meets them in a real VM (TCG here: seconds per
// test): stdin piped in and ended (CONTRACT.md: stdin-eof), stdin empty, and the /proc files
// Node, libuv and glibc read.

import { join, resolve } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");

function node(code: string, input?: string) {
  return execa("node", [cli, "run", "--timeout", "300", "--exec", "node", "--", "-e", code], {
    reject: false,
    ...(input !== undefined ? { input } : { stdin: "ignore" }),
  });
}

describe("stdin", () => {
  it("reaches the program byte for byte and then ends; the console is not a terminal", async () => {
    const input = "line one\nline two\n\u00e9\u0000\u00ff end";
    const r = await node(
      'let d = ""; process.stdin.setEncoding("latin1").on("data", (c) => (d += c)).on("end", () => ' +
        'console.log(JSON.stringify(d), require("tty").isatty(0), require("tty").isatty(1)));',
      input,
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`${JSON.stringify(Buffer.from(input).toString("latin1"))} false false`);
    expect(r.exitCode).toBe(0);
  });

  it("is empty when the CLI's own stdin is", async () => {
    const r = await node('console.log(JSON.stringify(require("fs").readFileSync(0, "utf8")))');
    expect(r.stdout).toBe('""');
    expect(r.exitCode).toBe(0);
  });
});

describe("/proc", () => {
  it("answers what Node, libuv and glibc read", async () => {
    const code = [
      'const fs = require("fs"), os = require("os");',
      'const maps = fs.readFileSync("/proc/self/maps", "utf8").split("\\n");',
      'console.log(maps.some((l) => / r-xp .* \\/app\\/node$/.test(l)), maps.some((l) => l.endsWith(" [stack]")));',
      'console.log(fs.readlinkSync("/proc/self/exe"), fs.readlinkSync("/proc/self/fd/0"), fs.readlinkSync("/dev/stdout"));',
      'console.log(os.cpus().length, os.cpus()[0].model !== "", os.totalmem() > 0, os.freemem() > 0, process.memoryUsage().rss > 1e6);',
      'console.log(fs.readFileSync("/proc/sys/vm/overcommit_memory", "utf8").trim(), fs.readFileSync("/proc/self/stat", "utf8").split(" ").length);',
      'console.log(fs.readdirSync("/proc/self/task").length === Number(/Threads:\\t(\\d+)/.exec(fs.readFileSync("/proc/self/status", "utf8"))[1]));',
      'try { fs.readFileSync("/proc/self/cgroup"); } catch (e) { console.log(e.code); }',
    ].join("\n");
    const r = await node(code);
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n")).toEqual([
      "true true",
      "/app/node /dev/ttyS0 /proc/self/fd/1",
      "1 true true true true",
      "0 52",
      "true",
      "ENOENT",
    ]);
    expect(r.exitCode).toBe(0);
  });
});
