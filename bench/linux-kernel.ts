// The linux-microvm target's kernel: Debian's linux-image-cloud-amd64, fetched with
// `apt-get download` into the bench's ignored cache and unpacked with `dpkg-deb -x` (never
// installed on the host). The cloud kernel builds virtio as modules, so the initramfs carries
// the few the guest needs, in dependency order (read from each module's .modinfo `depends=`).

import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";

export const KERNEL_PACKAGE = "linux-image-cloud-amd64";

/** What the guest needs: virtio-pci and virtio-net (the NIC). The root is the initramfs. */
export const WANTED_MODULES = ["virtio_pci", "virtio_net"];

/** The storage phase's microVM also mounts an ext4 volume on virtio-blk. Debian's cloud kernel
 * builds ext4, jbd2, mbcache, crc16 and crc32c in; whichever of these a kernel builds in
 * (modules.builtin) is skipped, the rest come with their dependencies. */
export const STORAGE_MODULES = [...WANTED_MODULES, "virtio_blk", "ext4", "crc32c_generic"];

export interface LinuxKernel {
  /** The real package the metapackage depends on, e.g. linux-image-6.1.0-56-cloud-amd64. */
  packageName: string;
  version: string;
  vmlinuz: string;
  vmlinuzSize: number;
  /** Host paths of the modules to load, in load order. */
  modules: string[];
  /** The same for the storage phase's microVM (modules plus the disk and ext4). */
  storageModules: string[];
}

/** The package linux-image-cloud-amd64 depends on (apt-cache depends). */
export function parseDependsOutput(text: string): string | undefined {
  const m = /Depends:\s*(linux-image-[^\s<>]+)/.exec(text);
  return m?.[1];
}

/** Fetches (once) and unpacks the kernel package under `cacheDir`. */
export async function ensureLinuxKernel(cacheDir: string, log: (s: string) => void): Promise<LinuxKernel> {
  const dir = path.join(cacheDir, "linux");
  const root = path.join(dir, "root");
  let debs = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".deb"));
  if (debs.length === 0) {
    log(`fetching ${KERNEL_PACKAGE} with apt-get download`);
    let deps = await execa("apt-cache", ["depends", KERNEL_PACKAGE], { reject: false });
    if (parseDependsOutput(deps.stdout) === undefined) {
      await execa("apt-get", ["update", "-qq"], { reject: false });
      deps = await execa("apt-cache", ["depends", KERNEL_PACKAGE], { reject: false });
    }
    const pkg = parseDependsOutput(deps.stdout);
    if (pkg === undefined) throw new Error(`apt-cache knows no ${KERNEL_PACKAGE}; run apt-get update and try again`);
    await execa("mkdir", ["-p", dir]);
    await execa("apt-get", ["download", pkg], { cwd: dir });
    debs = (await readdir(dir)).filter((f) => f.endsWith(".deb"));
  }
  const deb = debs.sort().at(-1);
  if (deb === undefined) throw new Error("apt-get download left no .deb");
  if (!(await exists(path.join(root, "boot")))) {
    log(`unpacking ${deb} with dpkg-deb -x`);
    await execa("rm", ["-rf", root]);
    await execa("dpkg-deb", ["-x", path.join(dir, deb), root]);
  }
  const boot = await readdir(path.join(root, "boot"));
  const vmlinuz = boot.find((f) => f.startsWith("vmlinuz-"));
  if (vmlinuz === undefined) throw new Error(`${deb} holds no vmlinuz`);
  const version = vmlinuz.slice("vmlinuz-".length);
  const modDir = path.join(root, "lib", "modules", version, "kernel");
  const builtin = parseBuiltin(await readFile(path.join(root, "lib", "modules", version, "modules.builtin"), "utf8").catch(() => ""));
  return {
    packageName: deb.split("_")[0] ?? deb,
    version,
    vmlinuz: path.join(root, "boot", vmlinuz),
    vmlinuzSize: (await stat(path.join(root, "boot", vmlinuz))).size,
    modules: await moduleLoadOrder(modDir, WANTED_MODULES),
    storageModules: await moduleLoadOrder(
      modDir,
      STORAGE_MODULES.filter((m) => !builtin.has(canonical(m))),
    ),
  };
}

/** Module names a kernel builds in, from modules.builtin (`kernel/fs/ext4/ext4.ko` lines). */
export function parseBuiltin(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split("\n")) {
    const m = /([^/]+)\.ko$/.exec(line.trim());
    if (m) names.add(canonical(m[1]!));
  }
  return names;
}

/** `depends=a,b` from a module's .modinfo strings (empty when it depends on nothing). */
export function modinfoDepends(ko: Buffer): string[] {
  const key = Buffer.from("\0depends=", "latin1");
  const at = ko.indexOf(key);
  if (at < 0) return [];
  const start = at + key.length;
  const end = ko.indexOf(0, start);
  const value = ko.toString("latin1", start, end < 0 ? undefined : end);
  return value === "" ? [] : value.split(",").map(canonical);
}

function canonical(name: string): string {
  return name.replace(/-/g, "_");
}

/** Every module wanted and what it depends on, each after its dependencies. */
export async function moduleLoadOrder(modDir: string, wanted: readonly string[]): Promise<string[]> {
  const byName = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith(".ko")) byName.set(canonical(e.name.slice(0, -3)), p);
    }
  };
  await walk(modDir);
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = async (name: string, chain: string[]): Promise<void> => {
    if (seen.has(name)) return;
    if (chain.includes(name)) throw new Error(`module dependency cycle: ${[...chain, name].join(" -> ")}`);
    const file = byName.get(name);
    if (file === undefined) throw new Error(`the kernel package has no module ${name}`);
    for (const dep of modinfoDepends(await readFile(file))) await visit(dep, [...chain, name]);
    seen.add(name);
    order.push(file);
  };
  for (const w of wanted) await visit(canonical(w), []);
  return order;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
