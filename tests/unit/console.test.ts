import { describe, expect, it } from "vitest";
import { KernelChannel, debugExitCode, exitStatusOf, parseRecord, signalName } from "../../src/vm/console.js";

describe("exit records", () => {
  it("parses the three records", () => {
    expect(parseRecord("uninode:exit 0")).toEqual({ kind: "exit", code: 0 });
    expect(parseRecord("uninode:exit 255\r")).toEqual({ kind: "exit", code: 255 });
    expect(parseRecord("uninode:signal 11")).toEqual({ kind: "signal", signal: 11 });
    expect(parseRecord("uninode:panic page fault in kernel at 0x10")).toEqual({ kind: "panic", message: "page fault in kernel at 0x10" });
  });

  it("ignores ordinary and malformed lines", () => {
    expect(parseRecord("mounting root fs")).toBeUndefined();
    expect(parseRecord("uninode:exit")).toBeUndefined();
    expect(parseRecord("uninode:exit 256")).toBeUndefined();
    expect(parseRecord("uninode:exit -1")).toBeUndefined();
    expect(parseRecord("uninode:signal 0")).toBeUndefined();
    expect(parseRecord(" uninode:exit 0")).toBeUndefined();
  });

  it("maps records to exit statuses as CONTRACT.md says", () => {
    expect(exitStatusOf({ kind: "exit", code: 3 })).toBe(3);
    expect(exitStatusOf({ kind: "signal", signal: 11 })).toBe(139);
    expect(exitStatusOf({ kind: "panic", message: "x" })).toBe(70);
    expect([debugExitCode("exit"), debugExitCode("signal"), debugExitCode("panic")]).toEqual([1, 3, 5]);
    expect(signalName(11)).toBe("SIGSEGV");
  });
});

describe("KernelChannel", () => {
  it("splits lines across chunks (and multi-byte characters) and keeps the last record", () => {
    const seen: string[] = [];
    const ch = new KernelChannel((l) => seen.push(l));
    const bytes = Buffer.from("boot ok\r\nmount é\nuninode:exit 4\nuninode:exit 5\ntail");
    for (let i = 0; i < bytes.length; i += 3) ch.push(bytes.subarray(i, i + 3));
    ch.end();
    expect(seen).toEqual(["boot ok", "mount é", "uninode:exit 4", "uninode:exit 5", "tail"]);
    expect(ch.record).toEqual({ kind: "exit", code: 5 });
    expect(ch.recentLines()).toEqual(["boot ok", "mount é", "tail"]);
  });

  it("keeps a bounded tail for fault reports", () => {
    const ch = new KernelChannel(() => undefined, 3);
    ch.push(Buffer.from("a\nb\nc\nd\n"));
    expect(ch.recentLines()).toEqual(["b", "c", "d"]);
  });
});
