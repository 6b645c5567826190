// Detached-VM plumbing without booting: QEMU arguments for file serials and QMP, instance records
// and their states, names, and the QMP client against a fake QEMU.

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildQemuArgs, qmpArgs, serialFileArgs } from "../../src/vm/qemu-args.js";
import { age, checkName, describeState, listInstances, stateDir, type InstanceRecord } from "../../src/vm/instances.js";
import { QmpClient } from "../../src/vm/qmp.js";
import { tempDir } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe("QEMU arguments of a detached VM", () => {
  it("writes each UART to its own file and listens for QMP", () => {
    expect(serialFileArgs({ com1: "/s/out,1.log", com2: "/s/err.log", com3: "/s/k.log" })).toEqual([
      "-chardev", "file,id=com1,path=/s/out,,1.log,append=on",
      "-chardev", "file,id=com2,path=/s/err.log,append=on",
      "-chardev", "file,id=com3,path=/s/k.log,append=on",
    ]);
    // With a control socket, COM3 listens there for `signal N` and still logs to its file.
    expect(serialFileArgs({ com1: "/o", com2: "/e", com3: "/k" }, "/s/c.sock").slice(4)).toEqual([
      "-chardev", "socket,id=com3,path=/s/c.sock,server=on,wait=off,logfile=/k,logappend=on",
    ]);
    expect(qmpArgs("/s/qmp.sock")).toEqual(["-qmp", "unix:/s/qmp.sock,server=on,wait=off"]);
    const all = buildQemuArgs({
      memory: "256M", cpus: 2, accel: "tcg", kernel: "/k.elf", cmdline: "",
      serialFiles: { com1: "/a", com2: "/b", com3: "/c" }, qmpSocket: "/q", root: { file: "/i.img", offset: 4096, size: 8192 },
    });
    expect(all).toContain("unix:/q,server=on,wait=off");
    expect(all.join(" ")).toContain("-serial chardev:com1 -serial chardev:com2 -serial chardev:com3");
    expect(all.join(" ")).not.toMatch(/socket,id=com1/);
    expect(all.slice(all.indexOf("-smp"), all.indexOf("-smp") + 2)).toEqual(["-smp", "2"]);
  });
});

describe("instance state", () => {
  const record = (name: string, pid: number): InstanceRecord => ({
    format: 1, name, id: "0123456789ab", imageLabel: "app.img", image: "/x.img", pid, qmp: path.join(tmp.dir, `${name}.sock`),
    created: "2026-01-01T00:00:00.000Z", memory: "256M", cpus: 1, ports: [],
  });

  it("uses XDG_STATE_HOME, else ~/.local/state", () => {
    expect(stateDir({ XDG_STATE_HOME: "/st" })).toBe("/st/uninode");
    expect(stateDir({ HOME: "/home/u" })).toBe("/home/u/.local/state/uninode");
  });

  it("tells exited instances by their pid and kernel log, and leaves a fresh half-made directory to the start that is making it", async () => {
    const env = { XDG_STATE_HOME: path.join(tmp.dir, "state") };
    const dir = path.join(tmp.dir, "state", "uninode", "instances");
    // pid 1 is never our QEMU (its command line lacks the id): so these are exited.
    for (const [name, log, stopped] of [["a", "boot\nuninode:exit 3\n", false], ["b", "", true], ["c", "uninode:signal 11\n", false]] as const) {
      mkdirSync(path.join(dir, name), { recursive: true });
      writeFileSync(path.join(dir, name, "instance.json"), JSON.stringify(record(name, 1)));
      writeFileSync(path.join(dir, name, "kernel.log"), log);
      if (stopped) writeFileSync(path.join(dir, name, "stopped"), "");
    }
    mkdirSync(path.join(dir, "junk"));
    const fresh = await listInstances(env);
    expect(fresh.map((i) => [i.record.name, i.state, describeState(i)])).toEqual([
      ["a", "exited", "exited (3)"],
      ["b", "exited", "stopped"],
      ["c", "exited", "exited (signal 11)"],
    ]);
    expect(existsSync(path.join(dir, "junk"))).toBe(true);
  });

  it("checks names and prints ages", () => {
    expect(checkName("web-1.a_b")).toBe("web-1.a_b");
    expect(() => checkName("-x")).toThrow(/--name expects letters/);
    expect(() => checkName("a/b")).toThrow(/--name expects letters/);
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    expect([5, 300, 7200, 200000].map((s) => age("2026-01-01T00:00:00Z", t0 + s * 1000))).toEqual(["5s", "5m", "2h", "2d"]);
  });
});

describe("QMP client", () => {
  it("negotiates capabilities, skips events and returns replies", async () => {
    const sock = path.join(tmp.dir, "fake-qmp.sock");
    const seen: string[] = [];
    const server = net.createServer((c) => {
      c.write('{"QMP": {"version": {}, "capabilities": []}}\r\n');
      let buf = "";
      c.on("data", (d) => {
        buf += d.toString();
        for (let nl; (nl = buf.indexOf("\n")) !== -1; ) {
          const cmd = JSON.parse(buf.slice(0, nl)) as { execute: string };
          buf = buf.slice(nl + 1);
          seen.push(cmd.execute);
          if (cmd.execute === "system_powerdown") c.write('{"event": "POWERDOWN", "timestamp": {}}\r\n');
          c.write('{"return": {}}\r\n');
        }
      });
    });
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      const q = await QmpClient.connect(sock);
      expect(await q.execute("system_powerdown")).toEqual({ return: {} });
      expect(await q.execute("query-status")).toEqual({ return: {} });
      q.close();
      expect(seen).toEqual(["qmp_capabilities", "system_powerdown", "query-status"]);
    } finally {
      server.close();
    }
  });
});
