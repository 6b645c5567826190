// The file-system programs of c/ once more, off tmpfs: on a volume (ext4 written by our kernel,
// attached with -v) and on the writable layer over the image's root, each compared with the same
// program on the host's file system. After each volume run, e2fsck -fn must find the volume clean.
// One link mode (dynamic) here; c-programs.test.ts runs all three on tmpfs.

import { execa } from "execa";
import { mkdtemp, mkdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");
let work: string;

interface FsCase { name: string; libs?: string[]; volumeOnly?: string }
const cases: FsCase[] = [
  { name: "tmp_files" },
  { name: "file_links" },
  { name: "file_locks" },
  { name: "inotify" },
  { name: "shared_mmap" },
  { name: "shared_mmap_race" },
  { name: "sqlite_wal", libs: ["-lsqlite3", "-lm"] },
  // Not on the root layer: its upper is tmpfs, which takes O_DIRECT without alignment checks as
  // Linux's tmpfs does (so the host's ext4 is no reference there) and has no fallocate yet.
  { name: "innodb_files", volumeOnly: "tmpfs upper: O_DIRECT unchecked as on Linux's tmpfs; no fallocate" },
];

const env = () => ({ XDG_DATA_HOME: join(work, "data") });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-confs-"));
  await mkdir(join(work, "empty"));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** The program compiled (dynamic) and its run on the host in a fresh directory. */
async function hostRun(c: FsCase) {
  const bin = join(work, c.name);
  await execa("gcc", ["-O2", "-Wall", "-pthread", "-o", bin, join(import.meta.dirname, "c", `${c.name}.c`), ...(c.libs ?? [])]);
  const dir = await mkdtemp(join(work, `host-${c.name}-`));
  const host = await execa(bin, [dir], { reject: false, stripFinalNewline: false });
  return { bin, host };
}

function imageRun(bin: string, flags: string[], dir: string) {
  return execa("node", [cli, "run", "--exec", bin, ...flags, "--timeout", "300", "--", dir],
    { reject: false, stripFinalNewline: false, env: env() });
}

describe("C programs on a volume", () => {
  for (const c of cases) {
    test(c.name, async () => {
      const { bin, host } = await hostRun(c);
      const name = `conf-${c.name.replace(/_/g, "-")}`;
      const made = await execa("node", [cli, "volume", "create", name, "--size", "64M", "--json"], { env: env() });
      const file = (JSON.parse(made.stdout) as { file: string }).file;
      const image = await imageRun(bin, ["-v", `${name}:/data`], "/data");
      expect(image.stderr).toBe(host.stderr);
      expect(image.stdout).toBe(host.stdout);
      expect(image.exitCode).toBe(host.exitCode);
      const fsck = await execa("/sbin/e2fsck", ["-fn", file], { reject: false, all: true });
      expect(fsck.exitCode, fsck.all).toBe(0);
      expect((await readFile(file)).length).toBe(64 << 20);
    });
  }
});

describe("C programs on the writable layer over the root", () => {
  for (const c of cases) {
    test.skipIf(c.volumeOnly !== undefined)(c.volumeOnly ? `${c.name} (volume only: ${c.volumeOnly})` : c.name, async () => {
      const { bin, host } = await hostRun(c);
      const image = await imageRun(bin, ["--add", `${join(work, "empty")}:/srv/scratch`], "/srv/scratch");
      expect(image.stderr).toBe(host.stderr);
      expect(image.stdout).toBe(host.stdout);
      expect(image.exitCode).toBe(host.exitCode);
    });
  }
});
