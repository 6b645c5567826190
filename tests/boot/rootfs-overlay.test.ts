// The writable layer over the root (rump/fs/overlay.c): an app that saves a JSON database next to
// its own files (write a temp file, rename it over), appends to a log under /var/log, deletes one of
// its files and lists its directory; a seed file the config's `files` puts under /tmp is there at
// boot; with --read-only the same writes answer EROFS. Boots the real kernel under QEMU (TCG here).

import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");
let work: string;
let image: string;

// Each step prints what it saw, or the error code it got.
const main = `
const fs = require("fs");
function step(name, fn) {
  try { console.log(name, fn()); } catch (e) { console.log(name, e.code); }
}
step("db", () => {
  const data = JSON.parse(fs.readFileSync("/app/db.json", "utf8"));
  data.n += 1;
  fs.writeFileSync("/app/db.json.tmp", JSON.stringify(data));
  fs.renameSync("/app/db.json.tmp", "/app/db.json");
  return fs.readFileSync("/app/db.json", "utf8");
});
step("log", () => {
  fs.mkdirSync("/var/log/app", { recursive: true });
  fs.appendFileSync("/var/log/app/app.log", "one\\n");
  fs.appendFileSync("/var/log/app/app.log", "two\\n");
  return JSON.stringify(fs.readFileSync("/var/log/app/app.log", "utf8"));
});
step("rm", () => { fs.unlinkSync("/app/remove-me.txt"); return "ok"; });
step("ls", () => fs.readdirSync("/app").filter((n) => n !== "node_modules").sort().join(","));
step("seed", () => fs.readFileSync("/tmp/seed.txt", "utf8").trim());
step("root", () => fs.readFileSync("/proc/mounts", "utf8").split("\\n").filter((l) => l.split(" ")[1] === "/").join(";"));
step("statfs", () => { const s = fs.statfsSync("/"); return s.type.toString(16) + " " + (s.bfree > 0); });
step("share", () => { fs.writeFileSync("/srv/share/out.txt", "from the vm"); return "ok"; });
`;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-boot-overlay-"));
  const app = join(work, "app");
  await execa("mkdir", ["-p", app]);
  await writeFile(join(app, "package.json"), JSON.stringify({ name: "jsondb", main: "main.js", uninode: { files: ["seed.txt:/tmp/seed.txt"] } }));
  await writeFile(join(app, "main.js"), main);
  await writeFile(join(app, "db.json"), JSON.stringify({ n: 41 }));
  await writeFile(join(app, "remove-me.txt"), "bye\n");
  await writeFile(join(app, "seed.txt"), "seeded at build\n");
  image = join(work, "jsondb.img");
  const built = await execa("node", [cli, "build", app, "-o", image], { reject: false });
  expect(built.stderr).toBe("");
  expect(built.exitCode).toBe(0);
}, 600_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

function run(args: string[]) {
  return execa("node", [cli, "run", "--timeout", "300", ...args], { cwd: work, reject: false });
}

describe("the writable layer over the root", () => {
  it("lets an app write beside its own files, in memory", async () => {
    const r = await run([image]);
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n")).toEqual([
      'db {"n":42}',
      'log "one\\ntwo\\n"',
      "rm ok",
      "ls db.json,main.js,package.json,seed.txt",
      "seed seeded at build",
      "root overlay / overlay rw 0 0",
      "statfs 794c7630 true",
      "share ENOENT",
    ]);
    expect(r.exitCode).toBe(0);
    // Nothing reached the image: the next boot starts from what was built.
    const again = await run([image]);
    expect(again.stdout.split("\n")[0]).toBe('db {"n":42}');
  }, 600_000);

  it("keeps the root read-only with --read-only", async () => {
    const r = await run(["--read-only", image]);
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n")).toEqual([
      "db EROFS",
      // mkdir -p: /var's EROFS, then node's stat of /var answers ENOENT, which it reports (on Linux too)
      "log ENOENT",
      "rm EROFS",
      "ls db.json,main.js,package.json,remove-me.txt,seed.txt",
      "seed seeded at build",
      "root /dev/root / ext2 ro 0 0",
      "statfs ef53 true",
      "share ENOENT",
    ]);
    expect(r.exitCode).toBe(0);
  }, 600_000);

  it("with --read-only and a host directory at a path the image lacks: the mount point is made, then the root is read-only", async () => {
    const share = join(work, "share");
    await mkdir(share);
    const r = await run(["--read-only", "-v", `${share}:/srv/share`, image]);
    expect(r.stderr).toBe("");
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("db EROFS");
    expect(lines[5]).toBe("root overlay / overlay ro 0 0");
    expect(lines[7]).toBe("share ok");
    expect(await readFile(join(share, "out.txt"), "utf8")).toBe("from the vm");
    expect(r.exitCode).toBe(0);
  }, 600_000);
});
