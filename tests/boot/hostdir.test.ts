// Host directories over virtio-9p: `run -v HOSTDIR:PATH[:ro]` with node in the VM. What the host put
// there is read in the VM (also by several libuv threads at once), what node writes there is on
// the host after the run, on q35 (virtio-pci) and microvm (virtio-mmio); a read-only share refuses
// writes with EROFS and changes nothing.
// Boots the real kernel under QEMU (TCG here): seconds per test.

import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");
let work: string;
let share: string;
const blob = randomBytes(3 << 20);
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-boot-hostdir-"));
  share = join(work, "share");
  await mkdir(join(share, "in/deeper"), { recursive: true });
  await writeFile(join(share, "from-host.txt"), "written by the host\n");
  await writeFile(join(share, "blob.bin"), blob);
  for (let i = 0; i < 8; i++) await writeFile(join(share, "in/deeper", `part${i}.txt`), `part ${i}\n`.repeat(1000 + i));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

function runNode(volume: string, code: string, flags: string[] = []) {
  return execa("node", [cli, "run", "--timeout", "300", ...flags, "-v", volume, "--exec", "node", "--", "-e", code], { cwd: work, reject: false });
}

describe("run -v HOSTDIR:PATH (virtio-9p)", () => {
  it("reads the host's files in the VM and leaves the VM's writes on the host", async () => {
    const code = `
const fs = require("fs"), crypto = require("crypto"), path = require("path");
const d = "/tmp/share";
const out = {};
out.text = fs.readFileSync(path.join(d, "from-host.txt"), "utf8");
out.sha = crypto.createHash("sha256").update(fs.readFileSync(path.join(d, "blob.bin"))).digest("hex");
out.size = fs.statSync(path.join(d, "blob.bin")).size;
const big = Buffer.alloc(2 << 20);
for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 12)) & 0xff;
fs.writeFileSync(path.join(d, "vm.tmp"), big);
fs.renameSync(path.join(d, "vm.tmp"), path.join(d, "vm.bin"));
fs.mkdirSync(path.join(d, "made/in/vm"), { recursive: true });
fs.writeFileSync(path.join(d, "made/in/vm/note.txt"), "written by node in the VM\\n");
fs.appendFileSync(path.join(d, "made/in/vm/note.txt"), "and appended\\n");
fs.unlinkSync(path.join(d, "from-host.txt"));
out.list = fs.readdirSync(d).sort();
const dir = path.join(d, "in/deeper");
Promise.all(fs.readdirSync(dir).sort().map((n) => fs.promises.readFile(path.join(dir, n), "utf8"))).then((parts) => {
  out.parts = parts.map((p) => p.length);
  console.log(JSON.stringify(out));
});
`;
    const r = await runNode(`${share}:/tmp/share`, code);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.text).toBe("written by the host\n");
    expect(out.sha).toBe(sha(blob));
    expect(out.size).toBe(blob.length);
    expect(out.list).toEqual(["blob.bin", "in", "made", "vm.bin"]);
    expect(out.parts).toEqual(Array.from({ length: 8 }, (_, i) => `part ${i}\n`.length * (1000 + i)));

    const big = Buffer.alloc(2 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 12)) & 0xff;
    expect(sha(await readFile(join(share, "vm.bin")))).toBe(sha(big));
    expect(await readFile(join(share, "made/in/vm/note.txt"), "utf8")).toBe("written by node in the VM\nand appended\n");
    expect((await readdir(share)).sort()).toEqual(["blob.bin", "in", "made", "vm.bin"]);
  });

  it("works on the microvm machine too, where the device sits on virtio-mmio", async () => {
    const dir = join(work, "mmio");
    await mkdir(dir);
    await writeFile(join(dir, "in.txt"), "over mmio\n");
    const code = `const fs = require("fs"); const t = fs.readFileSync("/tmp/m/in.txt", "utf8"); fs.writeFileSync("/tmp/m/out.txt", t.toUpperCase()); console.log(t.trim());`;
    const r = await runNode(`${dir}:/tmp/m`, code, ["--machine", "microvm"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("over mmio");
    expect(r.exitCode).toBe(0);
    expect(await readFile(join(dir, "out.txt"), "utf8")).toBe("OVER MMIO\n");
  });

  it("refuses writes to a read-only share with EROFS and changes nothing on the host", async () => {
    const ro = join(work, "ro");
    await mkdir(ro);
    await writeFile(join(ro, "keep.txt"), "unchanged\n");
    const code = `
const fs = require("fs");
const tryit = (f) => { try { f(); return "ok"; } catch (e) { return e.code; } };
console.log(fs.readFileSync("/tmp/ro/keep.txt", "utf8").trim(),
  tryit(() => fs.writeFileSync("/tmp/ro/new.txt", "x")),
  tryit(() => fs.appendFileSync("/tmp/ro/keep.txt", "x")),
  tryit(() => fs.mkdirSync("/tmp/ro/d")),
  tryit(() => fs.unlinkSync("/tmp/ro/keep.txt")),
  tryit(() => fs.chmodSync("/tmp/ro/keep.txt", 0o600)),
  tryit(() => fs.statfsSync("/tmp/ro")));
`;
    const r = await runNode(`${ro}:/tmp/ro:ro`, code);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("unchanged EROFS EROFS EROFS EROFS EROFS ok");
    expect(r.exitCode).toBe(0);
    expect(await readdir(ro)).toEqual(["keep.txt"]);
    expect(await readFile(join(ro, "keep.txt"), "utf8")).toBe("unchanged\n");
    expect((await stat(join(ro, "keep.txt"))).mode & 0o777).toBe(0o644);
  });
});
