// Named volumes: `run -v NAME:PATH` mounts an ext4 volume read-write in the VM (the kernel's ext2
// driver with a jbd2 journal). What node writes there (a tree, a big file, an atomic-save rename,
// an unlink while open) is there on the next run, e2fsck -fn finds the volume clean after each
// run, and debugfs reads the same bytes on the host.
// Boots the real kernel under QEMU (TCG here): tens of seconds per run.

import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");
const sbin = "/usr/sbin:/sbin";
let work: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-boot-volume-"));
  env = { ...process.env, XDG_DATA_HOME: join(work, "data"), PATH: `${process.env.PATH}:${sbin}` };
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

function runNode(code: string, volume = "vol") {
  return execa("node", [cli, "run", "--timeout", "300", "-v", `${volume}:/tmp/data`, "--exec", "node", "--", "-e", code], {
    cwd: work,
    env,
    reject: false,
  });
}

async function fsck(file: string) {
  return execa("e2fsck", ["-fn", file], { env, reject: false });
}

const bigSha = (() => {
  const big = Buffer.alloc(5 << 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 13 + (i >> 12)) & 0xff;
  return createHash("sha256").update(big).digest("hex");
})();

describe("run -v NAME:PATH (an ext4 volume written by the kernel)", () => {
  it("keeps what node wrote across runs, clean for e2fsck after each", async () => {
    const made = await execa("node", [cli, "volume", "create", "vol", "--size", "64M", "--json"], { env });
    const file: string = JSON.parse(made.stdout).file;

    const write = `
const fs = require("fs"), path = require("path"), crypto = require("crypto");
const d = "/tmp/data";
fs.mkdirSync(path.join(d, "a/b/c"), { recursive: true });
for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(d, "a/b/c", "f" + i), "file " + i + "\\n");
const big = Buffer.alloc(5 << 20);
for (let i = 0; i < big.length; i++) big[i] = (i * 13 + (i >> 12)) & 0xff;
fs.writeFileSync(path.join(d, "big.tmp"), big);
fs.renameSync(path.join(d, "big.tmp"), path.join(d, "big.bin"));
const fd = fs.openSync(path.join(d, "db.json.tmp"), "w");
fs.writeSync(fd, JSON.stringify({ saved: true }));
fs.fsyncSync(fd);
fs.closeSync(fd);
fs.renameSync(path.join(d, "db.json.tmp"), path.join(d, "db.json"));
const keep = fs.openSync(path.join(d, "scratch"), "w+");
fs.writeSync(keep, Buffer.alloc(1 << 20, 1));
fs.unlinkSync(path.join(d, "scratch"));
fs.appendFileSync(path.join(d, "log"), "run 1\\n");
fs.symlinkSync("a/b/c/f7", path.join(d, "link"));
console.log(fs.readdirSync(d).sort().join(","));
`;
    const r1 = await runNode(write);
    expect(r1.stderr).toBe("");
    expect(r1.exitCode).toBe(0);
    expect(r1.stdout).toBe("a,big.bin,db.json,link,log,lost+found");
    const f1 = await fsck(file);
    expect(f1.stdout + f1.stderr).not.toMatch(/Fix\?|WARNING/);
    expect(f1.exitCode).toBe(0);

    const read = `
const fs = require("fs"), path = require("path"), crypto = require("crypto");
const d = "/tmp/data";
fs.appendFileSync(path.join(d, "log"), "run 2\\n");
fs.rmSync(path.join(d, "a/b/c/f3"));
console.log(JSON.stringify({
  list: fs.readdirSync(d).sort(),
  files: fs.readdirSync(path.join(d, "a/b/c")).length,
  f7: fs.readFileSync(path.join(d, "link"), "utf8"),
  sha: crypto.createHash("sha256").update(fs.readFileSync(path.join(d, "big.bin"))).digest("hex"),
  db: JSON.parse(fs.readFileSync(path.join(d, "db.json"), "utf8")),
  log: fs.readFileSync(path.join(d, "log"), "utf8"),
}));
`;
    const r2 = await runNode(read);
    expect(r2.stderr).toBe("");
    expect(r2.exitCode).toBe(0);
    const out = JSON.parse(r2.stdout);
    expect(out.list).toEqual(["a", "big.bin", "db.json", "link", "log", "lost+found"]);
    expect(out.files).toBe(49);
    expect(out.f7).toBe("file 7\n");
    expect(out.sha).toBe(bigSha);
    expect(out.db).toEqual({ saved: true });
    expect(out.log).toBe("run 1\nrun 2\n");
    const f2 = await fsck(file);
    expect(f2.stdout + f2.stderr).not.toMatch(/Fix\?|WARNING/);
    expect(f2.exitCode).toBe(0);

    // the host's own tools read the same bytes
    const dump = await execa("debugfs", ["-R", "cat /log", file], { env, reject: false });
    expect(dump.stdout).toBe("run 1\nrun 2");
    const ls = await execa("debugfs", ["-R", "ls /a/b/c", file], { env, reject: false });
    expect(ls.stdout).toContain("f49");
    expect(ls.stdout).not.toMatch(/\bf3\b/);
  });

  it("commits every 5 s: a write never fsync'd survives QEMU killed 7 s later, the journal replayed", async () => {
    const made = await execa("node", [cli, "volume", "create", "periodic", "--size", "16M", "--json"], { env });
    const file: string = JSON.parse(made.stdout).file;
    const write = `
const fs = require("fs");
fs.writeFileSync("/tmp/data/unsynced", "kept by the periodic commit\\n");
fs.mkdirSync("/tmp/data/dir");
setTimeout(() => { console.log("waited"); setInterval(() => {}, 1000); }, 7000);
`;
    const run = runNode(write, "periodic");
    await new Promise<void>((res, rej) => {
      let seen = "";   // serial output may arrive a few bytes at a time
      run.stdout?.on("data", (b: Buffer) => (seen += b.toString()).includes("waited") && res());
      run.catch(rej);
      void run.then(() => rej(new Error("the VM ended before the kill")));
    });
    const qemu = Number(execFileSync("pgrep", ["-P", String(run.pid)]).toString().trim().split("\n")[0]);
    process.kill(qemu, "SIGKILL");
    await run;
    const r = await runNode(`const fs = require("fs"); console.log(fs.readFileSync("/tmp/data/unsynced", "utf8").trim(), fs.statSync("/tmp/data/dir").isDirectory());`, "periodic");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("kept by the periodic commit true");
    const f = await fsck(file);
    expect(f.stdout + f.stderr).not.toMatch(/Fix\?|WARNING/);
    expect(f.exitCode).toBe(0);
  });

  it("keeps what a program killed by a signal wrote, the volume closed clean (no replay needed)", async () => {
    const made = await execa("node", [cli, "volume", "create", "sig", "--size", "16M", "--json"], { env });
    const file: string = JSON.parse(made.stdout).file;
    const write = `
const fs = require("fs");
fs.writeFileSync("/tmp/data/unsynced", "kept at the signal death\\n");
console.log("written");
setInterval(() => {}, 1000);
`;
    const run = runNode(write, "sig");
    await new Promise<void>((res, rej) => {
      let seen = "";   // serial output may arrive a few bytes at a time
      run.stdout?.on("data", (b: Buffer) => (seen += b.toString()).includes("written") && res());
      void run.then(() => rej(new Error("the VM ended before the signal")));
    });
    run.kill("SIGINT");   // the CLI passes it to the program, which has no handler: death by SIGINT
    const end = await run;
    expect(end.exitCode, `${end.stdout}\n${end.stderr}`).toBe(130);
    // Closed clean at the death: needs_recovery is off, so e2fsck -fn (which cannot replay) is content.
    const f = await fsck(file);
    expect(f.stdout + f.stderr).not.toMatch(/Fix\?|WARNING|recovery/i);
    expect(f.exitCode).toBe(0);
    const dump = await execa("debugfs", ["-R", "cat /unsynced", file], { env, reject: false });
    expect(dump.stdout).toBe("kept at the signal death");
  }, 400_000);
});
