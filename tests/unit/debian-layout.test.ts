// Laying packages into an image: a path two packages ship must be the same thing in both, unless
// the later one Replaces the earlier; documentation is left out; a package's /etc file wins over
// the defaults every image gets.

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { UnpackedPackage, TreeEntry } from "../../src/debian/debs.js";
import { layPackages, mergedUsrLinks } from "../../src/debian/plan.js";
import type { PlanEntry } from "../../src/image/plan.js";
import { tempDir } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** A package whose files live under tmp/NAME, each with the given text. */
function pkg(name: string, files: Record<string, string>, links: Record<string, string> = {}, control: Record<string, string> = {}): UnpackedPackage {
  const root = path.join(tmp.dir, name);
  const entries: TreeEntry[] = [];
  const dirs = new Set<string>();
  for (const p of [...Object.keys(files), ...Object.keys(links)]) {
    for (let d = path.posix.dirname(p); d !== "/"; d = path.posix.dirname(d)) dirs.add(d);
  }
  for (const d of [...dirs].sort()) entries.push({ type: "dir", path: d, mode: 0o755 });
  for (const [p, text] of Object.entries(files)) {
    const host = path.join(root, p);
    mkdirSync(path.dirname(host), { recursive: true });
    writeFileSync(host, text);
    entries.push({ type: "file", path: p, mode: 0o644, size: text.length });
  }
  for (const [p, target] of Object.entries(links)) entries.push({ type: "symlink", path: p, target });
  return { record: { name, version: "1", arch: "amd64", sha256: "0".repeat(64), size: 0, filename: "" }, root, control, entries };
}

describe("layPackages", () => {
  it("takes identical files and links from two packages, and drops documentation but not copyright", async () => {
    const entries = new Map<string, PlanEntry>();
    await layPackages(entries, [
      pkg("a", { "/usr/share/same": "x", "/usr/share/doc/a/copyright": "c", "/usr/share/doc/a/changelog.gz": "z", "/usr/share/man/man1/a.1.gz": "m" }, { "/usr/lib/l": "t" }),
      pkg("b", { "/usr/share/same": "x" }, { "/usr/lib/l": "t" }),
    ]);
    expect(entries.has("/usr/share/same")).toBe(true);
    expect(entries.has("/usr/share/doc/a/copyright")).toBe(true);
    expect(entries.has("/usr/share/doc/a/changelog.gz")).toBe(false);
    expect([...entries.keys()].some((p) => p.startsWith("/usr/share/man"))).toBe(false);
  });

  it("refuses two different files at one path, naming both packages", async () => {
    await expect(layPackages(new Map(), [pkg("c", { "/etc/x.conf": "one" }), pkg("d", { "/etc/x.conf": "two" })])).rejects.toThrow(
      "d and c both ship /etc/x.conf, differently, and neither Replaces the other; leave one of them out.",
    );
    await expect(layPackages(new Map(), [pkg("e", {}, { "/usr/bin/x": "a" }), pkg("f", {}, { "/usr/bin/x": "b" })])).rejects.toThrow("f and e both ship /usr/bin/x");
  });

  it("lets a package that Replaces the other win", async () => {
    const entries = new Map<string, PlanEntry>();
    await layPackages(entries, [pkg("g", { "/etc/y.conf": "old" }), pkg("h", { "/etc/y.conf": "new" }, {}, { Replaces: "foo, g (<< 2.0), bar" })]);
    const e = entries.get("/etc/y.conf");
    expect(e?.type === "file" && e.hostPath).toBe(path.join(tmp.dir, "h", "/etc/y.conf"));
  });

  it("puts a package's /etc files over the image's defaults, except the few every image makes", async () => {
    const made = (p: string): PlanEntry => ({ type: "data", imagePath: p, content: Buffer.from("default"), role: "generated", mode: 0o644 });
    const entries = new Map<string, PlanEntry>([["/etc/hosts", made("/etc/hosts")], ["/etc/app.conf", made("/etc/app.conf")]]);
    await layPackages(entries, [pkg("i", { "/etc/hosts": "mine", "/etc/app.conf": "mine", "/etc/passwd": "root:x:0:0::/:/bin/sh\n" }, { "/etc/resolv.conf": "/etc/resolvconf/x" })]);
    expect(entries.get("/etc/app.conf")).toMatchObject({ type: "file", role: "package" });
    expect(entries.get("/etc/hosts")).toMatchObject({ type: "data", role: "generated" });
    expect(entries.has("/etc/passwd")).toBe(false);
    expect(entries.has("/etc/resolv.conf")).toBe(false);
  });
});

describe("mergedUsrLinks", () => {
  const d = (p: string): [string, PlanEntry] => [p, { type: "dir", imagePath: p, mode: 0o755 }];
  it("links /lib64, /lib, /bin and /sbin into /usr when only /usr has them (a merged-/usr release)", () => {
    const entries = new Map<string, PlanEntry>([d("/usr"), d("/usr/lib64"), d("/usr/lib"), d("/usr/bin")]);
    mergedUsrLinks(entries);
    expect(entries.get("/lib64")).toEqual({ type: "symlink", imagePath: "/lib64", target: "usr/lib64" });
    expect(entries.get("/lib")).toEqual({ type: "symlink", imagePath: "/lib", target: "usr/lib" });
    expect(entries.get("/bin")).toEqual({ type: "symlink", imagePath: "/bin", target: "usr/bin" });
    expect(entries.has("/sbin")).toBe(false);
  });
  it("leaves a closure with files in /lib (Debian 12's) exactly as its packages lay it out", () => {
    const entries = new Map<string, PlanEntry>([d("/lib"), d("/lib/x86_64-linux-gnu"), d("/usr/lib"), d("/usr/bin"), d("/usr/sbin")]);
    mergedUsrLinks(entries);
    expect([...entries.keys()].sort()).toEqual(["/lib", "/lib/x86_64-linux-gnu", "/usr/bin", "/usr/lib", "/usr/sbin"]);
  });
});
