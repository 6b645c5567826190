// `run --network`: parsing, the tap check against a fake sysfs, and QEMU's netdev for each choice.

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkTap, parseNetwork } from "../../src/vm/network.js";
import { networkArgs } from "../../src/vm/qemu-args.js";

describe("--network", () => {
  it("is the user network by default and names a tap or none", () => {
    expect(parseNetwork(undefined)).toEqual({ kind: "user" });
    expect(parseNetwork("user")).toEqual({ kind: "user" });
    expect(parseNetwork("none")).toEqual({ kind: "none" });
    expect(parseNetwork("tap:uninode0")).toEqual({ kind: "tap", ifname: "uninode0" });
  });

  it("refuses anything else in one sentence", () => {
    expect(() => parseNetwork("bridge")).toThrow(/^--network must be user, tap:IFNAME or none, not "bridge"\.$/);
    expect(() => parseNetwork("tap:")).toThrow(/does not name a network interface/);
    expect(() => parseNetwork("tap:a-name-far-too-long")).toThrow(/1 to 15 characters/);
    expect(() => parseNetwork("tap:x,script=/bin/sh")).toThrow(/does not name a network interface/);
  });

  it("gives QEMU a tap without scripts, or the user network with its forwards", () => {
    expect(networkArgs({ tap: "uninode0" })).toEqual(["-netdev", "tap,id=net0,ifname=uninode0,script=no,downscript=no", "-device", "virtio-net-pci,netdev=net0"]);
    expect(networkArgs({ tap: "t0" }, "microvm")).toContain("virtio-net-device,netdev=net0");
    expect(networkArgs({ forwards: [{ proto: "tcp", hostAddress: "127.0.0.1", hostPort: 8080, guestPort: 3000 }] })[1]).toBe("user,id=net0,hostfwd=tcp:127.0.0.1:8080-:3000");
  });
});

describe("checkTap", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  async function sysfs(devices: Record<string, string | undefined>): Promise<string> {
    const root = await mkdtemp(path.join(tmpdir(), "uninode-sysfs-"));
    dirs.push(root);
    for (const [name, flags] of Object.entries(devices)) {
      await mkdir(path.join(root, name));
      if (flags !== undefined) await writeFile(path.join(root, name, "tun_flags"), flags + "\n");
    }
    return root;
  }

  it("accepts a tap (IFF_TAP set in tun_flags)", async () => {
    await expect(checkTap("tap0", await sysfs({ tap0: "0x1002" }))).resolves.toBeUndefined();
  });

  it("says how to create a missing tap, and refuses a tun or an ordinary interface", async () => {
    const root = await sysfs({ tun0: "0x1001", eth0: undefined });
    await expect(checkTap("nope", root)).rejects.toThrow(/^There is no network interface nope; create it with `ip tuntap add dev nope mode tap/);
    await expect(checkTap("tun0", root)).rejects.toThrow(/^tun0 is a tun device, not a tap;/);
    await expect(checkTap("eth0", root)).rejects.toThrow(/^eth0 is not a tap device/);
  });
});
