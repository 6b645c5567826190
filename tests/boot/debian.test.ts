// Images from Debian packages: `build --debian hello --exec /usr/bin/hello` fetches hello and its
// closure through the host's apt (as any user, into the cache), and the image prints Hello,
// world! under QEMU; a recipe adds system users, a file and a C program compiled at build time;
// and each bad input is one sentence with a non-zero exit and nothing half-written in the cache.
// Needs apt, its package lists and the network to the archive; boots the real kernel under QEMU
// (TCG here): tens of seconds per boot.

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");

/** apt-get on PATH and a package list that knows hello: otherwise the suite is skipped, and says why. */
function aptReason(): string | undefined {
  try {
    execFileSync("apt-get", ["--version"], { stdio: "ignore" });
  } catch {
    return "no apt-get on this host (not Debian or Ubuntu)";
  }
  try {
    execFileSync("apt-cache", ["show", "hello"], { stdio: "ignore" });
  } catch {
    return "apt's package lists do not know hello (run apt-get update)";
  }
  return undefined;
}
const skip = aptReason();

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "uninode-boot-debian-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

function uninode(args: string[], extraEnv: Record<string, string> = {}) {
  return execa("node", [cli, ...args], { cwd: work, reject: false, env: { XDG_CACHE_HOME: join(work, "cache"), ...extraEnv } });
}

/** Names under the Debian cache that are temp work (what a failed build must not leave). */
async function leftovers(): Promise<string[]> {
  const base = join(work, "cache", "uninode", "debian");
  const out: string[] = [];
  for (const sub of ["", "trees", "programs", "debs"]) {
    for (const n of await readdir(join(base, sub)).catch(() => [] as string[])) if (n.startsWith("tmp-") || n.endsWith(".tmp")) out.push(join(sub, n));
  }
  return out;
}

describe.skipIf(skip !== undefined)(`images from Debian packages${skip ? ` (SKIPPED: ${skip})` : ""}`, () => {
  it("builds hello from its package, lists its packages, boots it, and reuses the cache on a rebuild", async () => {
    const built = await uninode(["build", "--debian", "hello", "--exec", "/usr/bin/hello", "-o", "hello.img", "--json"]);
    expect(built.stderr).toBe("");
    expect(built.exitCode).toBe(0);
    const out = JSON.parse(built.stdout);
    const names = out.packages.map((p: { name: string }) => p.name);
    expect(names).toEqual(expect.arrayContaining(["hello", "libc6", "base-passwd"]));

    const inspected = await uninode(["inspect", "--json", "hello.img"]);
    const m = JSON.parse(inspected.stdout).manifest;
    expect(m.packages.find((p: { name: string }) => p.name === "hello")).toMatchObject({ arch: "amd64", sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const paths = new Map<string, string>(m.files.map((f: { path: string; role: string }) => [f.path, f.role]));
    expect(paths.get("/usr/bin/hello")).toBe("program");
    expect(paths.get("/lib/x86_64-linux-gnu/libc.so.6")).toBe("library");
    expect(paths.get("/usr/share/doc/hello/copyright")).toBe("package");
    expect([...paths.keys()].some((p) => p.startsWith("/usr/share/man/"))).toBe(false);
    expect([...paths.keys()].filter((p) => p.startsWith("/usr/share/doc/hello/"))).toEqual(["/usr/share/doc/hello/copyright"]);

    const ran = await uninode(["run", "--timeout", "300", "hello.img"]);
    expect(ran.stdout).toContain("Hello, world!");
    expect(ran.exitCode).toBe(0);

    // Same packages, same image: nothing downloaded again, the same content key.
    const again = await uninode(["build", "--debian", "hello", "--exec", "/usr/bin/hello", "-o", "hello.img", "--json", "--verbose"]);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).not.toContain("downloading");
    expect(JSON.parse(again.stdout)).toMatchObject({ key: out.key, cached: true });
    // Reproducible: another cache (another user's, another machine's) gives the same content key.
    const elsewhere = await uninode(["build", "--debian", "hello", "--exec", "/usr/bin/hello", "--tag", "hello", "--json"], { XDG_CACHE_HOME: join(work, "cache2") });
    expect(elsewhere.exitCode).toBe(0);
    expect(JSON.parse(elsewhere.stdout)).toMatchObject({ key: out.key, cached: false });
    expect(await leftovers()).toEqual([]);
  }, 600_000);

  it("builds a recipe with system users, a file and a compiled C program, which finds them all", async () => {
    const dir = join(work, "greeter");
    await mkdir(dir);
    await writeFile(
      join(dir, "uninode.json"),
      JSON.stringify({
        debian: ["hello"],
        exec: "/usr/local/bin/greet",
        args: ["from-recipe"],
        env: { GREETING_FILE: "/etc/greeting" },
        users: ["mysql", { name: "app", uid: 500, groups: ["adm"] }],
        files: ["greeting.txt:/etc/greeting"],
        programs: { "/usr/local/bin/greet": "greet.c" },
      }),
    );
    await writeFile(join(dir, "greeting.txt"), "hi there\n");
    await writeFile(
      join(dir, "greet.c"),
      `#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
/* getpwnam returns a static buffer: each answer is read before the next call. */
static int uid_of(const char *name, int *gid, char *shell, size_t n) {
  struct passwd *p = getpwnam(name);
  if (!p) return -1;
  if (gid) *gid = (int)p->pw_gid;
  if (shell) snprintf(shell, n, "%s", p->pw_shell);
  return (int)p->pw_uid;
}
int main(int argc, char **argv) {
  int mgid = -1;
  char shell[64] = "-", line[64] = "";
  int m = uid_of("mysql", &mgid, shell, sizeof shell), w = uid_of("www-data", 0, 0, 0), a = uid_of("app", 0, 0, 0);
  struct group *adm = getgrnam("adm");
  FILE *f = fopen(getenv("GREETING_FILE"), "r");
  if (f && fgets(line, sizeof line, f)) fclose(f);
  printf("arg=%s mysql=%d:%d www-data=%d app=%d adm=%s shell=%s greeting=%s",
         argc > 1 ? argv[1] : "-", m, mgid, w, a, adm && adm->gr_mem[0] ? adm->gr_mem[0] : "-", shell, line);
  return 0;
}
`,
    );
    const built = await uninode(["build", "greeter", "--json"]);
    expect(built.stderr).toBe("");
    expect(built.exitCode).toBe(0);
    expect(JSON.parse(built.stdout)).toMatchObject({ tag: "greeter", recipe: "greeter/uninode.json", exec: "/usr/local/bin/greet" });

    const ran = await uninode(["run", "--timeout", "300", "greeter"]);
    // base-passwd's users are there; mysql got the first free system uid (100) and, gid 100
    // being Debian's "users" group, the next free gid.
    expect(ran.stdout).toContain("arg=from-recipe mysql=100:101 www-data=33 app=500 adm=app shell=/usr/sbin/nologin greeting=hi there");
    expect(ran.exitCode).toBe(0);
  }, 600_000);

  it("answers each bad input with one sentence, a non-zero exit and nothing half-written", async () => {
    const cases: [string[], RegExp][] = [
      [["build", "--debian", "uninode-no-such-package", "--exec", "/usr/bin/x", "-o", "x.img"], /^uninode: apt knows no package named uninode-no-such-package; /],
      [["build", "--debian", "hello", "--exec", "/usr/sbin/nginx", "-o", "x.img"], /^uninode: No package in the closure has \/usr\/sbin\/nginx; the packages with programs are: hello \(\/usr\/bin\/hello\)\.$/],
      [["build", "--debian", "hello", "--exec", "hello", "-o", "x.img"], /^uninode: With --debian, --exec is the program's absolute path inside the packages/],
    ];
    const bad = join(work, "badrecipe");
    await mkdir(bad);
    await writeFile(join(bad, "uninode.json"), JSON.stringify({ debian: 3, exec: "/usr/bin/hello" }));
    cases.push([["build", "badrecipe"], /^uninode: badrecipe\/uninode\.json: "debian" must be a list of package names such as \["nginx-light"\], got 3\.$/]);
    const broken = join(work, "brokenc");
    await mkdir(broken);
    await writeFile(join(broken, "uninode.json"), JSON.stringify({ debian: ["hello"], exec: "/x", programs: { "/x": "x.c" } }));
    await writeFile(join(broken, "x.c"), "int main(void) { return nope; }\n");
    for (const [args, message] of cases) {
      const r = await uninode(args);
      expect(r.exitCode, args.join(" ")).not.toBe(0);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
    }
    // A compile error shows the compiler's own message.
    const cc = await uninode(["build", "brokenc"]);
    expect(cc.exitCode).not.toBe(0);
    expect(cc.stderr).toContain("brokenc/x.c (the recipe's program /x) does not compile");
    expect(cc.stderr).toMatch(/'nope' undeclared/);

    // Empty package lists: apt pointed at an empty lists directory.
    const lists = join(work, "emptylists");
    await mkdir(join(lists, "partial"), { recursive: true });
    await writeFile(join(work, "apt.conf"), `Dir::State::Lists "${lists}/";\n`);
    const empty = await uninode(["build", "--debian", "hello", "--exec", "/usr/bin/hello", "-o", "x.img"], { APT_CONFIG: join(work, "apt.conf") });
    expect(empty.exitCode).toBe(1);
    expect(empty.stderr.trim()).toBe("uninode: apt's package lists are empty on this host; run `sudo apt-get update` once, then build again.");

    expect(existsSync(join(work, "x.img"))).toBe(false);
    expect(await leftovers()).toEqual([]);
  }, 300_000);
});
