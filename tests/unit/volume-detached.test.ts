// A detached VM holds its volumes through its QEMU process: a second `run` is refused naming it,
// `volume ls` and `ps` show the attachment, and stopping the VM frees the volume. QEMU boots a
// stand-in kernel that hangs (fake-kernel.ts), so no real kernel needs to mount anything.

import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { whichTool } from "../../src/tools.js";
import { buildFakeKernel } from "./fake-kernel.js";
import { compileC, HELLO_C, runCli, tempDir } from "./helpers.js";

const tmp = tempDir();
const env = {
  XDG_DATA_HOME: path.join(tmp.dir, "data"),
  XDG_CACHE_HOME: path.join(tmp.dir, "cache"),
  XDG_STATE_HOME: path.join(tmp.dir, "state"),
};
const haveQemu = (await whichTool("qemu-system-x86_64")) !== undefined;
let kernel: string;
let hello: string;

beforeAll(() => {
  kernel = buildFakeKernel(tmp.dir, "hang.elf", { com3: "uninode:ready\n", exit: "hang" });
  hello = compileC(tmp.dir, "hello", HELLO_C);
});
afterAll(async () => {
  await cli(["rm", "-f", "holder"]);
  tmp.cleanup();
});

function cli(argv: string[]) {
  return runCli(argv, tmp.dir, { ...env, UNINODE_KERNEL: kernel });
}

describe.skipIf(!haveQemu)("a detached VM's volumes", () => {
  it("are locked to its QEMU until it stops", async () => {
    expect((await cli(["volume", "create", "shared", "--size", "16M"])).status).toBe(0);
    const started = await cli(["run", "-d", "--json", "--name", "holder", "--accel", "tcg", "-v", "shared:/data", "-v", "./:/host:ro", "--exec", hello]);
    expect(started.stderr).toBe("");
    expect(started.status).toBe(0);
    const rec = JSON.parse(started.stdout);
    expect(rec.mounts).toEqual(["shared:/data", `${tmp.dir}:/host:ro`]);

    const second = await cli(["run", "--accel", "tcg", "-v", "shared:/data", "--exec", hello]);
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/^uninode: The volume shared is in use \(read-write\) by the VM holder; stop it first \(uninode stop holder\): /);
    const ls = JSON.parse((await cli(["volume", "ls", "--json"])).stdout);
    expect(ls[0].attachedTo).toEqual([{ vm: "holder", image: `--exec ${hello}`, pid: rec.pid, readOnly: false }]);
    expect((await cli(["volume", "rm", "shared"])).stderr).toBe("uninode: The volume shared is in use by the VM holder; stop it first.\n");
    expect((await cli(["ps"])).stdout).toMatch(/^holder .* shared:\/data, .*:\/host:ro /m);

    // Our lock gone (another uninode's, a hand-made QEMU): QEMU's own image lock still refuses, and
    // the user reads one sentence about the file rather than QEMU's option dump.
    rmSync(path.join(env.XDG_DATA_HOME, "uninode", "volumes", "shared", "locks"), { recursive: true, force: true });
    const bypass = await cli(["run", "--accel", "tcg", "-v", "shared:/data", "--exec", hello]);
    expect(bypass.status).toBe(1);
    expect(bypass.stderr).toBe(`uninode: QEMU could not lock ${path.join(env.XDG_DATA_HOME, "uninode", "volumes", "shared", "disk.img")}: another process (another VM?) is using it.\n`);

    expect((await cli(["stop", "-t", "0", "holder"])).status).toBe(0);
    expect(JSON.parse((await cli(["volume", "ls", "--json"])).stdout)[0].attachedTo).toEqual([]);
    expect((await cli(["volume", "rm", "shared"])).status).toBe(0);
  }, 60_000);
});
