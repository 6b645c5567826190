// A Node server in the image on a tap device (`run --network tap:IFNAME`), the way production
// hosts wire VMs: QEMU then offers virtio-net checksum offload, so every path through it is
// exercised: 5 MiB out (TCP sums left to the device), 5 MiB in (sums the device vouched for or
// left partial), the image calling its own address (looped back with no sum at all), UDP both
// ways (partial sums finished by the guest, then checked by lwIP). The host side lives in a
// network namespace the test makes, so it needs root and iproute2; it is skipped, saying so,
// without them. Boots under TCG here: generous timeouts.

import { execa, type ResultPromise } from "execa";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist/cli.js");
const here = join(import.meta.dirname, "tap");
const { pattern } = createRequire(import.meta.url)(join(here, "pattern.cjs")) as { pattern: (n: number) => Buffer };

const NS = `uninode-tap-${process.pid}`;
const TAP = "ut0";
const HOST = "10.78.0.1";
const GUEST = "10.78.0.2";

const missing = process.getuid?.() !== 0 ? "not root" : !existsSync("/dev/net/tun") ? "no /dev/net/tun" : undefined;
if (missing) console.warn(`net-tap: skipped (${missing}): a tap in a network namespace needs root and /dev/net/tun`);

describe.skipIf(missing !== undefined)("an app on a tap (checksum offload)", () => {
  let work: string;
  let vm: ResultPromise<{ reject: false }> | undefined;
  let stderr = "";

  beforeAll(async () => {
    const ip = (...a: string[]) => execa("ip", a);
    await execa("ip", ["netns", "del", NS], { reject: false });
    await ip("netns", "add", NS);
    await ip("-n", NS, "link", "set", "lo", "up");
    await ip("-n", NS, "tuntap", "add", "dev", TAP, "mode", "tap");
    await ip("-n", NS, "addr", "add", `${HOST}/24`, "dev", TAP);
    await ip("-n", NS, "link", "set", TAP, "up");
    work = await mkdtemp(join(tmpdir(), "uninode-tap-"));
    for (const f of ["server.js", "pattern.cjs"]) await copyFile(join(here, f), join(work, f));
    await writeFile(
      join(work, "package.json"),
      JSON.stringify({
        name: "tap-app",
        version: "1.0.0",
        main: "server.js",
        uninode: { network: { address: `${GUEST}/24`, gateway: HOST }, env: { SELF_ADDR: GUEST } },
      }),
    );
    vm = execa("ip", ["netns", "exec", NS, process.execPath, cli, "run", "--verbose", "--timeout", "900", "--network", `tap:${TAP}`, work], { reject: false });
    vm.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    let stdout = "";
    await new Promise<void>((ok, fail) => {
      vm!.stdout?.on("data", (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes("listening")) ok();
      });
      void vm!.then((r) => fail(new Error(`the VM ended before listening (exit ${r.exitCode}):\n${stderr.slice(-3000)}`)));
    });
  }, 600_000);

  afterAll(async () => {
    // SIGTERM: the CLI passes it to the app and stops QEMU; SIGKILL would orphan QEMU on the tap.
    vm?.kill("SIGTERM");
    const killer = setTimeout(() => vm?.kill("SIGKILL"), 30_000);
    await vm?.catch(() => undefined);
    clearTimeout(killer);
    await execa("ip", ["netns", "del", NS], { reject: false });
    if (work) await rm(work, { recursive: true, force: true });
  }, 60_000);

  it("negotiates TCP checksum offload with the tap, and moves data both ways intact", async () => {
    expect(stderr).toMatch(/virtio-net: .*checksums: tx TCP by device, rx device-checked or partial/);
    expect(stderr).toContain(`net: eth0: ${GUEST} netmask 255.255.255.0 gateway ${HOST}`);
    const r = await execa("ip", ["netns", "exec", NS, process.execPath, join(here, "client.cjs"), GUEST], { reject: false, timeout: 600_000 });
    const got = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as Record<string, string>;
    const bigSha = createHash("sha256").update(pattern(5 << 20)).digest("hex");
    expect(got["error"]).toBeUndefined();
    expect(got["root"]).toBe("hello over tap\n");
    expect(got["big"]).toBe(bigSha);
    expect(got["upload"]).toBe(got["uploadWant"]);
    expect(got["self"]).toBe(bigSha);
    expect(got["udp"]).toBe("echo:" + "x".repeat(1200));
  }, 600_000);
});
