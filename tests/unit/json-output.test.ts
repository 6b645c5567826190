// --json on the commands that print a result (logs, stop, rm, ps, run -d), and failures under
// --json as {"error": {"code", "message"}} on stdout with the usual exit status. Detached VMs are
// made by hand as exited instances (pid 1 is never our QEMU), so nothing boots here.

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { JsonLines } from "../../src/commands/logs.js";
import type { InstanceRecord } from "../../src/vm/instances.js";
import { tempDir, runCli } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const stateHome = path.join(tmp.dir, "state");
const instances = path.join(stateHome, "uninode", "instances");

function cli(argv: string[]) {
  return runCli(argv, tmp.dir, { XDG_STATE_HOME: stateHome, XDG_CACHE_HOME: path.join(tmp.dir, "cache") });
}

function exitedInstance(name: string, files: { stdout?: Buffer | string; stderr?: string; mounts?: string[] } = {}) {
  const dir = path.join(instances, name);
  mkdirSync(dir, { recursive: true });
  const record: InstanceRecord = {
    format: 1, name, id: "0123456789ab", imageLabel: "app.img", image: "/x.img", pid: 1, qmp: path.join(dir, "qmp.sock"),
    created: "2026-01-01T00:00:00.000Z", memory: "256M", cpus: 1,
    ports: [{ proto: "tcp", hostAddress: "127.0.0.1", hostPort: 8080, guestPort: 3000 }],
    ...(files.mounts ? { mounts: files.mounts } : {}),
  };
  writeFileSync(path.join(dir, "instance.json"), JSON.stringify(record));
  writeFileSync(path.join(dir, "kernel.log"), "booted\nuninode:exit 0\n");
  if (files.stdout !== undefined) writeFileSync(path.join(dir, "stdout.log"), files.stdout);
  if (files.stderr !== undefined) writeFileSync(path.join(dir, "stderr.log"), files.stderr);
  return dir;
}

const jsonLines = (text: string) => text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as unknown);

describe("logs --json", () => {
  it("prints one {stream, text} object per line, the last line without a newline included", async () => {
    exitedInstance("web", { stdout: Buffer.concat([Buffer.from("listening on 3000\n\nbad \xff byte\nno newline", "latin1")]), stderr: "warn: x\n" });
    const o = await cli(["logs", "--json", "web"]);
    expect(o.status).toBe(0);
    expect(o.stderr).toBe("");
    expect(jsonLines(o.stdout)).toEqual([
      { stream: "stdout", text: "listening on 3000" },
      { stream: "stdout", text: "" },
      { stream: "stdout", text: "bad \ufffd byte" },
      { stream: "stderr", text: "warn: x" },
      // A line still being written comes last, once nothing more can follow it.
      { stream: "stdout", text: "no newline" },
    ]);
    const kernel = await cli(["logs", "--json", "--kernel", "web"]);
    expect(jsonLines(kernel.stdout)).toEqual([{ stream: "kernel", text: "booted" }, { stream: "kernel", text: "uninode:exit 0" }]);
  });

  it("keeps a line split across reads, and a UTF-8 character split across them, whole", async () => {
    const out = new PassThrough();
    let text = "";
    out.on("data", (b: Buffer) => (text += b.toString()));
    const sink = new JsonLines("stdout", out);
    const bytes = Buffer.from("héllo\nwor", "utf8");
    await sink.write(bytes.subarray(0, 2)); // ends inside the two bytes of "é"
    await sink.write(bytes.subarray(2));
    expect(jsonLines(text)).toEqual([{ stream: "stdout", text: "héllo" }]);
    await sink.write(Buffer.from("ld\n"));
    await sink.end();
    expect(jsonLines(text)).toEqual([{ stream: "stdout", text: "héllo" }, { stream: "stdout", text: "world" }]);
  });
});

describe("stop, rm and ps with --json", () => {
  it("stop names the VMs it stopped; rm the ones it removed; ps --json is --output json", async () => {
    exitedInstance("a");
    exitedInstance("b");
    const stopped = await cli(["stop", "--json", "a", "b"]);
    expect(stopped.status).toBe(0);
    expect(JSON.parse(stopped.stdout)).toEqual({ stopped: ["a", "b"] });
    const ps = await cli(["ps", "-a", "--json"]);
    const listed = JSON.parse(ps.stdout) as { name: string; state: string; ports: string[] }[];
    expect(listed.find((i) => i.name === "a")).toMatchObject({ state: "exited", ports: ["127.0.0.1:8080->3000/tcp"] });
    const removed = await cli(["rm", "--json", "a", "b"]);
    expect(JSON.parse(removed.stdout)).toEqual({ removed: ["a", "b"] });
    expect(existsSync(path.join(instances, "a"))).toBe(false);
    expect((await cli(["ps", "--json", "--output", "table"])).status).toBe(2);
  });
});

describe("ps shows what is attached", () => {
  it("as mounts in JSON, and a MOUNTS column only when some VM has one", async () => {
    exitedInstance("plain");
    let table = (await cli(["ps", "-a"])).stdout;
    expect(table.split("\n")[0]).not.toContain("MOUNTS");
    exitedInstance("withvol", { mounts: ["dbdata:/var/lib/mysql", "/home/me/up:/app/up:ro"] });
    const listed = JSON.parse((await cli(["ps", "-a", "--json"])).stdout) as { name: string; mounts: string[] }[];
    expect(listed.find((i) => i.name === "withvol")!.mounts).toEqual(["dbdata:/var/lib/mysql", "/home/me/up:/app/up:ro"]);
    expect(listed.find((i) => i.name === "plain")!.mounts).toEqual([]);
    table = (await cli(["ps", "-a"])).stdout;
    expect(table.split("\n")[0]).toMatch(/^NAME\s+IMAGE\s+STATUS\s+PORTS\s+MOUNTS\s+CREATED$/);
    expect(table).toMatch(/^withvol .* dbdata:\/var\/lib\/mysql, \/home\/me\/up:\/app\/up:ro /m);
    expect(table).toMatch(/^plain .*->3000\/tcp\s+-\s+/m);
    await cli(["rm", "plain", "withvol"]);
  });
});

describe("failures under --json", () => {
  it("are {error: {code, message}} on stdout, with the sentence on stderr and the same exit status", async () => {
    const missing = await cli(["rm", "--json", "nosuch"]);
    expect(missing.status).toBe(1);
    const doc = JSON.parse(missing.stdout) as { error: { code: string; message: string } };
    expect(Object.keys(doc)).toEqual(["error"]);
    expect(doc.error.code).toMatch(/^[A-Z_]+$/);
    expect(doc.error.message).toMatch(/nosuch/);
    expect(missing.stderr).toBe(`uninode: ${doc.error.message}\n`);

    // Even when the options themselves are wrong.
    const usage = await cli(["logs", "--json", "--frobnicate", "web"]);
    expect(usage.status).toBe(2);
    expect(JSON.parse(usage.stdout)).toEqual({ error: { code: "USAGE", message: "Unknown option --frobnicate for 'uninode logs'; see 'uninode logs --help'." } });
    const ps = await cli(["ps", "--output", "json", "extra"]);
    expect(JSON.parse(ps.stdout).error.code).toBe("USAGE");

    const foreground = await cli(["run", "--json", "app.img"]);
    expect(foreground.status).toBe(2);
    expect(JSON.parse(foreground.stdout).error.message).toMatch(/--json describes a detached VM; add -d/);
  });

  it("stay plain text without --json", async () => {
    const o = await cli(["rm", "nosuch"]);
    expect(o.status).toBe(1);
    expect(o.stdout).toBe("");
  });
});
