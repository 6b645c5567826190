import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, lstatSync, readlinkSync, symlinkSync, truncateSync, copyFileSync, writeFileSync, openSync, writeSync, closeSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UninodeError } from "../../src/errors.js";
import { prepareBuild, writeBuild } from "../../src/image/build.js";
import { extractSection, readImage, HEADER_SIZE } from "../../src/image/image.js";
import { parseBootFile } from "../../src/image/manifest.js";
import { finishPlan, planExec } from "../../src/image/plan.js";
import { checkRootfs } from "../../src/image/rootfs.js";
import { digestFile } from "../../src/image/stage.js";
import { requireTool } from "../../src/tools.js";
import { HELLO_C, compileC, tempDir } from "./helpers.js";

const tmp = tempDir();
let hello: string;
let kernel: string;
let appDir: string;

beforeAll(() => {
  hello = compileC(tmp.dir, "hello", HELLO_C);
  // Any ELF64 x86-64 file passes as the kernel for layout tests; the real one is the lead's.
  kernel = compileC(tmp.dir, "fake-kernel", "int main(void) { return 0; }\n", ["-static"]);
  appDir = path.join(tmp.dir, "appdir");
  mkdirSync(path.join(appDir, "sub"), { recursive: true });
  writeFileSync(path.join(appDir, "data.txt"), "some data\n");
  writeFileSync(path.join(appDir, "sub", "deep.bin"), Buffer.alloc(70000, 7));
  symlinkSync("data.txt", path.join(appDir, "link"));
});
afterAll(() => tmp.cleanup());

const spec = () => ({
  program: hello,
  args: ["one", "two words", "tab\there"],
  env: ["FOO=bar"],
  adds: [`${appDir}:/srv/app`, `${path.join(appDir, "data.txt")}:/etc/extra.txt`],
});

/** Every path under `dir`, relative, with "/" for directories and "->target" for symlinks. */
function listTree(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    const rel = `${prefix}/${name}`;
    const st = lstatSync(full);
    if (st.isSymbolicLink()) out.push(`${rel} -> ${readlinkSync(full)}`);
    else if (st.isDirectory()) out.push(`${rel}/`, ...listTree(full, rel));
    else out.push(rel);
  }
  return out;
}

describe("image round trip", () => {
  let imageA: string;
  let imageB: string;

  it("builds, and a rebuild from the same input is byte-identical", async () => {
    imageA = path.join(tmp.dir, "a.img");
    imageB = path.join(tmp.dir, "b.img");
    const prepared = await prepareBuild(await planExec(spec()), kernel);
    await writeBuild(prepared, imageA);
    // A fresh plan and a fresh staging dir, seconds later: same bytes.
    const again = await prepareBuild(await planExec(spec()), kernel);
    expect(again.key).toBe(prepared.key);
    await writeBuild(again, imageB);
    expect((await digestFile(imageA)).sha256).toBe((await digestFile(imageB)).sha256);
  });

  it("has a valid header whose sections are 4 KiB aligned, with the manifest and kernel intact", async () => {
    const img = await readImage(imageA);
    const { manifest, kernel: k, rootfs } = img.header.sections;
    expect(manifest.offset).toBe(HEADER_SIZE);
    for (const s of [manifest, k, rootfs]) expect(s.offset % 4096).toBe(0);
    expect(img.size % 4096).toBe(0);
    expect(k.sha256).toBe((await digestFile(kernel)).sha256);
    const m = img.manifest as { exec: string; argv: string[]; env: string[]; cwd: string; programKind: string };
    expect(m.exec).toBe("/app/hello");
    expect(m.argv).toEqual(["hello", "one", "two words", "tab\there"]);
    expect(m.env).toEqual(["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", "FOO=bar"]);
    expect(m.cwd).toBe("/app");
    expect(m.programKind).toBe("dynamic");
  });

  it("holds a clean ext2 root fs with exactly the staged files", async () => {
    const img = await readImage(imageA);
    const rootfs = path.join(tmp.dir, "rootfs.ext2");
    await extractSection(img, "rootfs", rootfs);
    await checkRootfs(rootfs); // e2fsck -fn
    const dump = path.join(tmp.dir, "dump");
    mkdirSync(dump);
    const debugfs = await requireTool("debugfs"); // /usr/sbin is not on every PATH
    execFileSync(debugfs, ["-R", `rdump / ${dump}`, rootfs], { stdio: "pipe" });

    const expected = new Set<string>(["/lost+found/"]);
    for (const e of finishPlan(await planExec(spec()))) {
      expected.add(e.type === "dir" ? `${e.imagePath}/` : e.type === "symlink" ? `${e.imagePath} -> ${e.target}` : e.imagePath);
    }
    for (const p of ["/.uninode/boot", "/.uninode/manifest.json"]) expected.add(p);
    expect(new Set(listTree(dump))).toEqual(expected);

    // The contract's fixed parts.
    for (const d of ["/tmp/", "/dev/", "/proc/", "/app/"]) expect(expected.has(d)).toBe(true);
    expect(readFileSync(path.join(dump, "app", "hello"))).toEqual(readFileSync(hello));
    expect(readFileSync(path.join(dump, "lib64", "ld-linux-x86-64.so.2"))).toEqual(readFileSync("/lib64/ld-linux-x86-64.so.2"));
    expect(lstatSync(path.join(dump, "lib", "x86_64-linux-gnu", "libc.so.6")).isFile()).toBe(true);
    expect(readFileSync(path.join(dump, "srv", "app", "sub", "deep.bin")).length).toBe(70000);
    expect(readFileSync(path.join(dump, "etc", "passwd"), "utf8")).toMatch(/^root:x:0:0:/);
    const boot = parseBootFile(readFileSync(path.join(dump, ".uninode", "boot"), "utf8"));
    expect(boot.exec).toBe("/app/hello");
    expect(boot.argv).toEqual(["hello", "one", "two words", "tab\there"]);
    expect(boot.cwd).toBe("/app");
    expect(readFileSync(path.join(dump, ".uninode", "boot"), "utf8")).toContain("arg tab\\there\n");

    // Owners and times are pinned, not the builder's.
    const stat = execFileSync(debugfs, ["-R", "stat /app/hello", rootfs], { encoding: "utf8", stdio: "pipe" });
    expect(stat).toMatch(/User:\s+0\s+Group:\s+0/);
    expect(stat).toMatch(/ctime: 0x386d4380/);
  });

  it("rejects a truncated image in one sentence", async () => {
    const cut = path.join(tmp.dir, "cut.img");
    copyFileSync(imageA, cut);
    truncateSync(cut, (await readImage(imageA)).header.sections.rootfs.offset + 4096);
    const err = await readImage(cut).catch((e: unknown) => e);
    expect((err as UninodeError).code).toBe("IMAGE_TRUNCATED");
    expect((err as Error).message).toMatch(/is truncated/);
    truncateSync(cut, 100);
    expect(((await readImage(cut).catch((e: unknown) => e)) as UninodeError).code).toBe("IMAGE_TRUNCATED");
  });

  it("rejects a file that is not an image, and a corrupted one", async () => {
    const err = await readImage(hello).catch((e: unknown) => e);
    expect((err as UninodeError).code).toBe("IMAGE_NOT_IMAGE");
    const bad = path.join(tmp.dir, "bad.img");
    copyFileSync(imageA, bad);
    const fd = openSync(bad, "r+");
    writeSync(fd, Buffer.from([0xff]), 0, 1, (await readImage(imageA)).header.sections.kernel.offset + 10);
    closeSync(fd);
    expect(((await readImage(bad).catch((e: unknown) => e)) as UninodeError).code).toBe("IMAGE_CORRUPT");
  });

  it("refuses an --add that would replace a library the program needs", async () => {
    const err = await planExec({ ...spec(), adds: [`${appDir}/data.txt:/lib/x86_64-linux-gnu/libc.so.6`] }).catch((e: unknown) => e);
    expect((err as UninodeError).code).toBe("IMAGE_PATH_CONFLICT");
  });
});
