// Differential conformance: each C program in c/ is compiled with the host's
// gcc in three link modes, run on the host and in an image, and the two runs
// must agree on stdout, stderr and exit status.

import { execa } from "execa";
import { cpSync } from "node:fs";
import { chmod, mkdtemp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { constants as osConstants, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");
const modes: Record<string, string[]> = { static: ["-static"], "static-pie": ["-static-pie"], dynamic: [] };

let work: string;
let tree: string;
let known: string;
let mapped: string;
let layerTree: string;
let layerCopies = 0;

/** A new copy of the tree root_layer changes, for each host run. */
function freshLayerTree(): string {
  const dir = join(work, `layer-${layerCopies++}`);
  cpSync(layerTree, dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}
const bins = new Map<string, string>();

async function compile(name: string, mode: string, libs: string[] = []): Promise<string> {
  const key = `${name}/${mode}`;
  const have = bins.get(key);
  if (have) return have;
  const out = join(work, `${name}-${mode}`);
  await execa("gcc", ["-O2", "-Wall", "-pthread", ...modes[mode]!, "-o", out, join(import.meta.dirname, "c", `${name}.c`), ...libs]);
  bins.set(key, out);
  return out;
}

interface Case {
  name: string;
  /** The test's title when one program runs in several places (default: name). */
  title?: string;
  hostArgs?: () => string[];
  imageArgs?: () => string[];
  adds?: () => string[];
  /** -v HOSTDIR:PATH shares (host directories over virtio-9p). */
  volumes?: () => string[];
  env?: Record<string, string>;
  memory?: string;
  title?: string;    // the test's name when one program runs more than once
  libs?: string[];   // linked after the source: Debian's -dev packages (scripts/setup)
  /** The host run must be root (it changes its uids): skipped, visibly, for anyone else. */
  root?: boolean;
}

const cases: Case[] = [
  { name: "hello" },
  { name: "args_env", hostArgs: () => ["3", "two words", "ünïcode", ""], env: { CONF_HOME: "/home/conf", CONF_X: "a=b" } },
  { name: "read_file", hostArgs: () => [known], imageArgs: () => ["/data/known.txt"], adds: () => [`${known}:/data/known.txt`] },
  { name: "malloc_stress", memory: "768M" },
  { name: "tmp_files", hostArgs: () => [join(work, "scratch")], imageArgs: () => ["/tmp"] },
  { name: "list_dir", hostArgs: () => [tree], imageArgs: () => ["/data/tree"], adds: () => [`${tree}:/data/tree`] },
  { name: "clocks" },
  { name: "threads" },
  { name: "signals" },
  { name: "sigwait" },
  { name: "mremap" },
  { name: "unix_sockets", hostArgs: () => [join(work, "scratch")], imageArgs: () => ["/tmp"] },
  { name: "udp_errors" },
  { name: "tcp_teardown" },
  // What nginx asks of files and TCP: sendfile (checks, offsets, partial sends), TCP_CORK, writev, accept4, SO_REUSEADDR.
  { name: "sendfile_tcp", hostArgs: () => [join(work, "scratch")], imageArgs: () => ["/tmp"] },
  { name: "file_links", hostArgs: () => [join(work, "scratch")], imageArgs: () => ["/tmp"] },
  { name: "file_locks", hostArgs: () => [join(work, "scratch")], imageArgs: () => ["/tmp"] },
  { name: "sqlite_db", hostArgs: () => [join(work, "scratch")], imageArgs: () => ["/tmp"], libs: ["-lsqlite3", "-lm"] },
  { name: "inotify", hostArgs: () => [join(work, "scratch")], imageArgs: () => ["/tmp"] },
  { name: "shared_mmap", hostArgs: () => [join(work, "scratch")], imageArgs: () => ["/tmp"] },
  // The same on the writable root (the overlay over the image's ext2), with a file the image carries.
  {
    name: "shared_mmap", title: "shared_mmap on the writable root", hostArgs: () => [join(work, "scratch"), mapped],
    imageArgs: () => ["/app", "/data/mapped.txt"], adds: () => [`${mapped}:/data/mapped.txt`],
  },
  { name: "shared_mmap_race", hostArgs: () => [join(work, "scratch")], imageArgs: () => ["/tmp"] },
  // SQLite's WAL index is a shared writable mapping of the -shm file (libsqlite3-dev).
  { name: "sqlite_wal", hostArgs: () => [join(work, "scratch")], imageArgs: () => ["/tmp"], libs: ["-lsqlite3", "-lm"] },
  // ... and on an ext4 volume the kernel writes (named volume "confvol", made in beforeAll).
  { name: "shared_mmap", title: "shared_mmap on an ext4 volume", hostArgs: () => [join(work, "scratch")], imageArgs: () => ["/vol"], volumes: () => ["confvol:/vol"] },
  { name: "sqlite_wal", title: "sqlite_wal on an ext4 volume", hostArgs: () => [join(work, "scratch")], imageArgs: () => ["/vol"], volumes: () => ["confvol:/vol"], libs: ["-lsqlite3", "-lm"] },
  // LMDB maps its lock file shared read-write and its data file shared (MDB_WRITEMAP: writable) (liblmdb-dev).
  { name: "lmdb_maps", hostArgs: () => [join(work, "scratch")], imageArgs: () => ["/tmp"], libs: ["-llmdb"] },
  // Changes to files the image has (the writable layer over its root); on the host, a fresh copy.
  { name: "root_layer", hostArgs: () => [freshLayerTree()], imageArgs: () => ["/data/layer"], adds: () => [`${layerTree}:/data/layer`] },
  // The same, with the database beside the app's files: on the root's writable layer.
  { name: "sqlite_wal", title: "sqlite_wal on the root layer", hostArgs: () => [join(work, "scratch")], imageArgs: () => ["/app"], libs: ["-lsqlite3", "-lm"] },
  // The same operations in a host directory: on the host directly, in the image over virtio-9p.
  { name: "dir_ops", hostArgs: () => [join(work, "dir-host")], imageArgs: () => ["/tmp/share"], volumes: () => [`${join(work, "dir-vm")}:/tmp/share`] },
  // execve in stages: synchronous errors, what a new image keeps and loses, #! scripts, execveat.
  { name: "execve_stages", hostArgs: () => [join(work, "scratch")], imageArgs: () => ["/tmp"], libs: ["-lm"] },
  // Credentials through setres*id, setfs*id, setgroups and an execve; owners of the files each state makes.
  { name: "creds", hostArgs: () => [join(work, "scratch")], imageArgs: () => ["/tmp"], root: true },
  { name: "creds", title: "creds on an ext4 volume", hostArgs: () => [join(work, "scratch")], imageArgs: () => ["/vol"], volumes: () => ["confvol:/vol"], root: true },
  { name: "creds", title: "creds on the root layer", hostArgs: () => [join(work, "scratch")], imageArgs: () => ["/app"], root: true },
];
const isRoot = process.getuid?.() === 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-conf-"));
  await mkdir(join(work, "scratch"));
  await mkdir(join(work, "dir-host"));
  await mkdir(join(work, "dir-vm"));
  known = join(work, "known.txt");
  await writeFile(known, Array.from({ length: 3000 }, (_, i) => `known line ${i}\n`).join(""));
  mapped = join(work, "mapped.txt");
  await writeFile(mapped, Array.from({ length: 1000 }, (_, i) => `mapped line ${i}\n`).join(""));
  tree = join(work, "tree");
  await mkdir(join(tree, "a/b/c"), { recursive: true });
  await mkdir(join(tree, "empty"));
  await writeFile(join(tree, "top.txt"), "top\n");
  await writeFile(join(tree, "a/one.bin"), Buffer.alloc(70_000, 7));
  await writeFile(join(tree, "a/b/c/deep.txt"), "deep\n");
  await writeFile(join(tree, "a/b/big.bin"), Buffer.alloc(5 << 20, 1));
  for (let i = 0; i < 300; i++) await writeFile(join(tree, "a/b", `f${String(i).padStart(3, "0")}`), `${i}\n`);
  await symlink("a/b/c/deep.txt", join(tree, "link-to-deep"));
  // Named volumes live under XDG_DATA_HOME: a private one for this file's runs.
  process.env.XDG_DATA_HOME = join(work, "data");
  await execa("node", [cli, "volume", "create", "confvol", "--size", "64M"]);
  layerTree = join(work, "layer");
  await mkdir(join(layerTree, "dir/sub"), { recursive: true });
  await mkdir(join(layerTree, "empty"));
  await mkdir(join(layerTree, "many"));
  await writeFile(join(layerTree, "file.txt"), "lower data\n");
  await writeFile(join(layerTree, "mode600"), "secret\n");
  await chmod(join(layerTree, "mode600"), 0o600);
  await writeFile(join(layerTree, "db.json"), '{"n":1}');
  await symlink("file.txt", join(layerTree, "link"));
  await writeFile(join(layerTree, "dir/inner.txt"), "inner\n");
  await writeFile(join(layerTree, "dir/sub/deep.txt"), "deep\n");
  for (let i = 0; i < 50; i++) await writeFile(join(layerTree, "many", `f${String(i).padStart(2, "0")}`), `${i}\n`);
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

function signalNumber(name: string): number {
  return (osConstants.signals as Record<string, number>)[name] ?? -1;
}

function imageRun(bin: string, c: Case) {
  const flags = ["run", "--exec", bin];
  for (const a of c.adds?.() ?? []) flags.push("--add", a);
  for (const v of c.volumes?.() ?? []) flags.push("-v", v);
  for (const [k, v] of Object.entries(c.env ?? {})) flags.push("-e", `${k}=${v}`);
  if (c.memory) flags.push("-m", c.memory);
  flags.push("--timeout", "300", "--", ...(c.imageArgs ?? c.hostArgs)?.() ?? []);
  return execa("node", [cli, ...flags], { reject: false, stripFinalNewline: false });
}

for (const mode of Object.keys(modes)) {
  describe(`C programs, ${mode}`, () => {
    for (const c of cases) {
      // creds changes its uids on the host: only root may (skipped otherwise, said by the runner).
      test.skipIf(c.root === true && !isRoot)(c.title ?? c.name, async () => {
        const bin = await compile(c.name, mode, c.libs);
        const host = await execa(bin, c.hostArgs?.() ?? [], { reject: false, stripFinalNewline: false, env: c.env });
        const image = await imageRun(bin, c);
        // On a signal death the CLI adds the kernel's report to stderr: the program's own lines must match.
        const ours = (e: string) => (host.signal ? e.split("\n").filter((l) => !/^\[kernel\] |^uninode: /.test(l)).join("\n") : e);
        expect(ours(image.stderr)).toBe(host.stderr);
        expect(image.stdout).toBe(host.stdout);
        // A signal death is 128+N from the CLI, as a shell reports it.
        expect(image.exitCode).toBe(host.signal ? 128 + signalNumber(host.signal) : host.exitCode);
      });
    }

    test("null_write faults: SIGSEGV on the host, a report naming the address in the image", async () => {
      const bin = await compile("null_write", mode);
      const host = await execa(bin, [], { reject: false });
      expect(host.signal).toBe("SIGSEGV");
      const image = await imageRun(bin, { name: "null_write" });
      expect(image.stdout).toBe(host.stdout + "\n");
      expect(image.exitCode).toBe(128 + 11);
      expect(image.stderr).toMatch(/SIGSEGV/);
      expect(image.stderr).toMatch(/page fault \(write of an unmapped address\) at address 0x0\b/);
      expect(image.stderr).toMatch(/instruction pointer 0x[0-9a-f]+ in \/app\/null_write-/);
    });
  });
}

// 200 execve calls in a row leave free memory where it was: the old images are freed whole
// (pages, page tables, regions, the loader's own allocations). The first few execs warm the
// page cache and the kernel heap (about 60 kB under TCG, the same after 20 execs as after 100).
test("execve 200 times keeps free memory", async () => {
  const bin = await compile("execve_stages", "static", ["-lm"]);
  const image = await imageRun(bin, { name: "execve_stages", imageArgs: () => ["memloop", "200"] });
  const m = /free before (\d+) kB, after (\d+) kB/.exec(image.stdout);
  expect(m, image.stdout + image.stderr).not.toBeNull();
  const [before, after] = [Number(m![1]), Number(m![2])];
  expect(before - after).toBeLessThan(512);
}, 600_000);

test("the ext4 volume the programs wrote through mappings is clean for e2fsck -fn", async () => {
  const fsck = await execa("e2fsck", ["-fn", join(work, "data/uninode/volumes/confvol/disk.img")], { reject: false });
  expect(fsck.stdout + fsck.stderr).toMatch(/confvol: \d+\/\d+ files/);
  expect(fsck.exitCode).toBe(0);
});
