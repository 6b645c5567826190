// fs.watch in a VM: Node's watcher over inotify sees a file created in /tmp (and on the root's
// writable layer, and on a volume) and then changed, the same events, in the same order, as the same script on the
// host. Boots the real kernel.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");
let work: string;

// Each step waits for the watcher to report before the next change, so TCG's pace cannot
// reorder or merge what is seen. Prints one line per event, then the limit Node and chokidar read.
const script = `
const fs = require("fs"), path = require("path");
const dir = fs.mkdtempSync(path.join(process.argv[2], "watch-"));
const file = path.join(dir, "a.txt");
const seen = [];
let waiting = null;
const w = fs.watch(dir, (event, name) => {
  seen.push(event + " " + name);
  if (waiting && seen.length >= waiting.n) { const r = waiting.resolve; waiting = null; r(); }
});
const until = (n) => new Promise((resolve, reject) => {
  if (seen.length >= n) return resolve();
  waiting = { n, resolve };
  setTimeout(() => reject(new Error("timed out; saw " + JSON.stringify(seen))), 60000).unref();
});
(async () => {
  const fd = fs.openSync(file, "wx");     // created: "rename"
  await until(1);
  fs.writeSync(fd, "one");                 // written: "change"
  await until(2);
  fs.closeSync(fd);                        // IN_CLOSE_WRITE is not in Node's mask: nothing
  fs.chmodSync(file, 0o600);               // IN_ATTRIB: "change"
  await until(3);
  fs.renameSync(file, path.join(dir, "b.txt"));   // "rename" twice
  await until(5);
  fs.unlinkSync(path.join(dir, "b.txt"));  // "rename"
  await until(6);
  w.close();
  fs.rmdirSync(dir);
  for (const s of seen) console.log(s);
  console.log("watches", Number(fs.readFileSync("/proc/sys/fs/inotify/max_user_watches", "utf8")) >= 8192);
})().catch((e) => { console.error(e.message); process.exit(1); });
`;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-boot-watch-"));
  await writeFile(join(work, "watch.js"), script);
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const expected = ["rename a.txt", "change a.txt", "change a.txt", "rename a.txt", "rename b.txt", "rename b.txt", "watches true"];

describe("fs.watch", () => {
  // tmpfs on /tmp, the writable layer over the image's root, and an ext4 volume.
  for (const dir of ["/tmp", "/", "/srv/vol"]) {
    it(`sees a file in ${dir} created, written, chmodded, renamed and removed, as on the host`, async () => {
      const host = await execa("node", [join(work, "watch.js"), work], { reject: false });
      expect(host.stdout.split("\n")).toEqual(expected);
      const env = { ...process.env, XDG_DATA_HOME: join(work, "data"), PATH: `${process.env.PATH}:/usr/sbin:/sbin` };
      const volume = dir === "/srv/vol" ? ["-v", "watched:/srv/vol"] : [];
      if (volume.length) {
        const made = await execa("node", [cli, "volume", "create", "watched", "--size", "64M"], { env, reject: false });
        expect(made.exitCode).toBe(0);
      }
      const r = await execa("node", [cli, "run", "--timeout", "300", ...volume, "--exec", "node", "--", "watch.js", dir], {
        cwd: work,
        env,
        reject: false,
      });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(host.stdout);
      expect(r.exitCode).toBe(0);
    });
  }
});
