// -v and the config's "volumes": parsing, merging, checking against the host, and what QEMU and
// the kernel command line get (mount= tokens, disks in order vdb, vdc, ...).

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UninodeError, UsageError } from "../../src/errors.js";
import { checkKernelCmdline } from "../../src/vm/cmdline.js";
import { MAX_MOUNTS, checkMachineRoom, formatMount, mergeMounts, mountField, parseMountSpec, planMounts, resolveMounts, type MountSpec } from "../../src/vm/mounts.js";
import { volumeDiskName } from "../../src/vm/qemu-args.js";
import { qemuFailure } from "../../src/vm/launch.js";
import { tempDir } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe("parsing -v", () => {
  it("tells volume names from host directories as docker does", () => {
    expect(parseMountSpec("dbdata:/var/lib/mysql", "/cwd")).toEqual({ kind: "volume", source: "dbdata", target: "/var/lib/mysql", readOnly: false, base: "/cwd" });
    expect(parseMountSpec("./uploads:/app/uploads:ro", "/cwd")).toEqual({ kind: "host", source: "./uploads", target: "/app/uploads", readOnly: true, base: "/cwd" });
    expect(parseMountSpec("/srv/site:/www:rw", "/cwd")).toMatchObject({ kind: "host", source: "/srv/site", readOnly: false });
    expect(parseMountSpec(".:/src", "/cwd")).toMatchObject({ kind: "host", source: "." });
    expect(parseMountSpec("../x:/src", "/cwd")).toMatchObject({ kind: "host", source: "../x" });
  });

  it("normalises the mount point and lets a host directory hold ':'", () => {
    expect(parseMountSpec("v1:/data//x/./y/", "/").target).toBe("/data/x/y");
    expect(parseMountSpec("./a:b:/mnt", "/")).toMatchObject({ source: "./a:b", target: "/mnt" });
    expect(parseMountSpec("v1:/a:b", "/")).toMatchObject({ source: "v1", target: "/a:b" });
  });

  it("refuses what the kernel could not mount, in one sentence each", () => {
    const cases: [string, RegExp][] = [
      ["dbdata", /expected SOURCE:\/PATH\[:ro\]/],
      ["dbdata:data", /must be an absolute path/],
      ["dbdata:/", /over the root/],
      ["dbdata:/a/../b", /may not contain "\.\."/],
      ["-bad:/a", /not a volume name/],
      ["x:/a", /not a volume name/],
      ["my vol:/a", /not a volume name/],
      [":/a", /expected SOURCE/],
    ];
    for (const [spec, why] of cases) {
      let err: unknown;
      try {
        parseMountSpec(spec, "/");
      } catch (e) {
        err = e;
      }
      expect(err, spec).toBeInstanceOf(UsageError);
      expect((err as Error).message, spec).toMatch(why);
      expect((err as Error).message.split(". ").length, spec).toBeLessThanOrEqual(2);
    }
  });

  it("suggests ./NAME when a bare name is not a valid volume name", () => {
    expect(() => parseMountSpec("x:/a", "/")).toThrow(/write \.\/x for one here/);
  });
});

describe("merging the config's volumes with -v", () => {
  const spec = (s: string) => parseMountSpec(s, "/app");

  it("adds -v to the config's list, replacing an entry at the same mount point", () => {
    const merged = mergeMounts([spec("db:/var/lib/mysql"), spec("./up:/app/up")], [spec("other:/var/lib/mysql:ro"), spec("logs:/logs")]);
    expect(merged.map((m) => `${m.source}:${m.target}:${m.readOnly}`)).toEqual(["./up:/app/up:false", "other:/var/lib/mysql:true", "logs:/logs:false"]);
  });

  it("refuses a mount point given twice in one list, a volume attached twice, and more than 16", () => {
    expect(() => mergeMounts([], [spec("a1:/x"), spec("b1:/x/")])).toThrow(/-v mounts two things at \/x/);
    expect(() => mergeMounts([spec("a1:/x"), spec("./d:/x")], [])).toThrow(/config mounts two things at \/x/);
    expect(() => mergeMounts([spec("a1:/x")], [spec("a1:/y:ro")])).toThrow(/a1 is attached twice/);
    const many: MountSpec[] = Array.from({ length: MAX_MOUNTS + 1 }, (_, i) => spec(`./d:/m${i}`));
    expect(() => mergeMounts([], many)).toThrow(/at most 16 volumes and host directories, got 17/);
    expect(mergeMounts([], many.slice(0, MAX_MOUNTS))).toHaveLength(MAX_MOUNTS);
  });
});

describe("checking mounts against the host", () => {
  it("resolves host directories against their base and volumes through the lookup", async () => {
    mkdirSync(path.join(tmp.dir, "up"));
    const mounts = await resolveMounts(
      [parseMountSpec("./up:/app/up:ro", tmp.dir), parseMountSpec("db:/data", tmp.dir)],
      async (name) => `/vols/${name}/disk.img`,
    );
    expect(mounts).toEqual([
      { kind: "host", dir: path.join(tmp.dir, "up"), target: "/app/up", readOnly: true },
      { kind: "volume", name: "db", file: "/vols/db/disk.img", target: "/data", readOnly: false },
    ]);
    expect(mounts.map(formatMount)).toEqual([`${path.join(tmp.dir, "up")}:/app/up:ro`, "db:/data"]);
  });

  it("refuses a host directory that does not exist or is a file", async () => {
    writeFileSync(path.join(tmp.dir, "file"), "x");
    const lookup = async () => "/nowhere";
    await expect(resolveMounts([parseMountSpec("./missing:/m", tmp.dir)], lookup)).rejects.toThrow(/does not exist; create it first/);
    await expect(resolveMounts([parseMountSpec("./file:/m", tmp.dir)], lookup)).rejects.toThrow(/is not a directory/);
    const err = await resolveMounts([parseMountSpec("./missing:/m", tmp.dir)], lookup).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UninodeError);
    expect((err as UninodeError).exitCode).toBe(1);
  });
});

describe("mount= tokens and disk names", () => {
  it("names the Nth volume vd(b+N) and the Nth share shareN, in the given order", () => {
    const plan = planMounts([
      { kind: "volume", name: "db", file: "/v/db", target: "/var/mysql", readOnly: false },
      { kind: "host", dir: "/h/up", target: "/app/up", readOnly: true },
      { kind: "volume", name: "site", file: "/v/site", target: "/srv/my site:1", readOnly: true },
    ]);
    expect(plan.tokens).toEqual(["mount=ext4:vdb:/var/mysql", "mount=9p:share0:/app/up:ro", "mount=ext4:vdc:/srv/my%20site%3a1:ro"]);
    expect(plan.volumes).toEqual([{ file: "/v/db", readOnly: false }, { file: "/v/site", readOnly: true }]);
    expect(plan.shares).toEqual([{ dir: "/h/up", tag: "share0", readOnly: true }]);
    expect([0, 1, 15].map(volumeDiskName)).toEqual(["vdb", "vdc", "vdq"]);
  });

  it("mounts shallower mount points first, so a parent never hides what is mounted inside it", () => {
    const plan = planMounts([
      { kind: "volume", name: "logs", file: "/v/logs", target: "/data/logs", readOnly: false },
      { kind: "host", dir: "/h/x", target: "/srv/x/y", readOnly: false },
      { kind: "volume", name: "data", file: "/v/data", target: "/data", readOnly: false },
      { kind: "host", dir: "/h/z", target: "/z", readOnly: false },
    ]);
    expect(plan.tokens).toEqual(["mount=ext4:vdb:/data", "mount=9p:share0:/z", "mount=ext4:vdc:/data/logs", "mount=9p:share1:/srv/x/y"]);
    expect(plan.volumes.map((v) => v.file)).toEqual(["/v/data", "/v/logs"]);
    expect(plan.shares.map((v) => v.dir)).toEqual(["/h/z", "/h/x"]);
  });

  it("escapes ':', '%', spaces and non-ASCII in a field", () => {
    expect(mountField("/a:b%c d/é")).toBe("/a%3ab%25c%20d/%c3%a9");
  });

  it("counts each volume's virtio-mmio name on microvm against the line's size", () => {
    const line = "a".repeat(1023 - 80 - 3 * 40);
    expect(() => checkKernelCmdline(line, { machine: "microvm", extraDevices: 3 })).not.toThrow();
    expect(() => checkKernelCmdline(line + "a", { machine: "microvm", extraDevices: 3 })).toThrow(/mount points take 824 bytes .* holds 823/);
  });
});

describe("QEMU's image-lock refusal", () => {
  it("names the file, not the option that opened it", () => {
    const said = ['qemu-system-x86_64: -device virtio-blk-pci,drive=vol0,write-cache=on: Failed to get "write" lock', "Is another process using the image [/v/db/disk.img]?"];
    expect(qemuFailure(said, said[0]!)).toBe("QEMU could not lock /v/db/disk.img: another process (another VM?) is using it.");
    expect(qemuFailure(["qemu-system-x86_64: -m 1: bad"], "qemu-system-x86_64: -m 1: bad")).toBe("QEMU could not start the VM: -m 1: bad.");
  });
});

describe("room for devices", () => {
  it("is 8 virtio devices on microvm (QEMU refuses a ninth), all 16 mounts on q35", () => {
    expect(() => checkMachineRoom("microvm", true, 6)).not.toThrow();
    expect(() => checkMachineRoom("microvm", true, 7)).toThrow(
      "--machine microvm has 8 virtio devices, which leaves room for 6 volumes and host directories beside the root disk and the NIC, got 7; use --machine q35 (the default) for up to 16.",
    );
    expect(() => checkMachineRoom("microvm", false, 7)).not.toThrow();
    expect(() => checkMachineRoom("q35", true, MAX_MOUNTS)).not.toThrow();
    expect(() => checkMachineRoom(undefined, true, MAX_MOUNTS)).not.toThrow();
  });
});
