// The files every image gets besides the program: /etc as the C library and TLS clients expect
// it (node-runtime/etc/, /etc/hosts with the image's own names added), the time zone, the CA
// bundle, and the empty directories the kernel mounts its own filesystems on. /etc/resolv.conf
// is a symlink into /run, where the kernel writes the DNS servers DHCP or ip= gave it; so is
// /etc/hosts: the image's lines are /run/hosts in the image, which the kernel copies into its
// tmpfs at boot and then adds the VM's network peers to (hosts=, CONTRACT.md).

import { readFile, readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { packageRoot } from "../paths.js";
import type { PlanEntry } from "./plan.js";

/** Empty directories every image has (the kernel mounts tmpfs/devfs/procfs on the last four). */
export const BASE_DIRS = ["/.uninode", "/app", "/etc", "/root", "/tmp", "/run", "/dev", "/proc"];

/** Where the kernel writes the DNS servers it learnt (CONTRACT.md), and the link to it, as many
 * Linux distributions do with systemd-resolved or resolvconf. */
export const RESOLV_CONF_LINK = { imagePath: "/etc/resolv.conf", target: "../run/resolv.conf" };
/** The image's own hosts lines, and the link the resolver follows to them and the peers' lines. */
export const HOSTS_FILE = "/run/hosts";
export const HOSTS_LINK = { imagePath: "/etc/hosts", target: "../run/hosts" };

/** Where hosts keep the UTC zone file, and the CA bundle, first match wins. */
const HOST_UTC = ["/usr/share/zoneinfo/UTC", "/usr/share/zoneinfo/Etc/UTC"];
const HOST_CA_BUNDLES = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];
export const CA_BUNDLE_PATH = "/etc/ssl/certs/ca-certificates.crt";

export interface SystemFilesOptions {
  /** The image's environment, NAME=VALUE: TZ decides whether /etc/localtime is UTC. */
  env: readonly string[];
  /** Host paths to look for the UTC zone file and the CA bundle (tests). */
  hostUtc?: readonly string[];
  hostCaBundles?: readonly string[];
  /** NAME → ADDRESS lines appended to /etc/hosts (the config's "hosts", --add-host). */
  hosts?: readonly (readonly [string, string])[];
}

/** The entries for /etc and the base directories, by image path. */
export async function systemFiles(options: SystemFilesOptions): Promise<PlanEntry[]> {
  const out: PlanEntry[] = BASE_DIRS.map((d) => ({ type: "dir", imagePath: d, mode: d === "/tmp" ? 0o1777 : d === "/root" ? 0o700 : 0o755 }));
  const etc = path.join(packageRoot(), "node-runtime", "etc");
  for (const name of (await readdir(etc)).sort()) {
    let content = await readFile(path.join(etc, name));
    if (name === "hosts" && options.hosts !== undefined && options.hosts.length > 0) {
      content = Buffer.concat([content, Buffer.from(options.hosts.map(([host, addr]) => `${addr}\t${host}\n`).join(""))]);
    }
    out.push({ type: "data", imagePath: name === "hosts" ? HOSTS_FILE : `/etc/${name}`, content, role: "generated", mode: 0o644 });
  }
  out.push({ type: "symlink", ...RESOLV_CONF_LINK });
  out.push({ type: "symlink", ...HOSTS_LINK });
  if (!options.env.some((kv) => kv.startsWith("TZ="))) {
    const utc = await firstFile(options.hostUtc ?? HOST_UTC);
    if (utc !== undefined) out.push({ type: "file", imagePath: "/etc/localtime", hostPath: utc, role: "generated", mode: 0o644 });
  }
  const ca = await firstFile(options.hostCaBundles ?? HOST_CA_BUNDLES);
  if (ca !== undefined) out.push({ type: "file", imagePath: CA_BUNDLE_PATH, hostPath: ca, role: "generated", mode: 0o644 });
  return out;
}

/** The real path of the first of `candidates` that is a regular file. */
async function firstFile(candidates: readonly string[]): Promise<string | undefined> {
  for (const c of candidates) {
    try {
      const real = await realpath(c);
      if ((await stat(real)).isFile()) return real;
    } catch {
      continue;
    }
  }
  return undefined;
}
