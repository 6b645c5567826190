import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { describeAccel, detectAccel, type HostProbe } from "../../src/vm/accel.js";

function host(paths: string[], rw = true): HostProbe {
  return {
    exists: async (p) => paths.includes(p),
    canOpenReadWrite: async (p) => rw && paths.includes(p),
  };
}

describe("accelerator detection", () => {
  it("uses TCG when /dev/kvm comes from kvm_pvm", async () => {
    const c = await detectAccel(host(["/dev/kvm", "/sys/module/kvm", "/sys/module/kvm_pvm", "/sys/module/kvm_intel"]));
    expect(c.accel).toBe("tcg");
    expect(c.reason).toMatch(/kvm_pvm/);
  });

  it("uses TCG without /dev/kvm, or when it cannot be opened", async () => {
    expect((await detectAccel(host([]))).accel).toBe("tcg");
    expect((await detectAccel(host(["/dev/kvm", "/sys/module/kvm_intel"], false))).accel).toBe("tcg");
  });

  it("uses KVM with hardware virtualization", async () => {
    expect((await detectAccel(host(["/dev/kvm", "/sys/module/kvm_intel"]))).accel).toBe("kvm");
    expect((await detectAccel(host(["/dev/kvm", "/sys/module/kvm_amd"]))).accel).toBe("kvm");
  });

  it("says why in one line", () => {
    expect(describeAccel({ accel: "tcg", reason: "there is no /dev/kvm" }, false)).toMatch(/^using TCG emulation because there is no \/dev\/kvm/);
    expect(describeAccel({ accel: "kvm", reason: "--accel" }, true)).toBe("using KVM (--accel kvm)");
  });

  // Only meaningful where kvm_pvm is loaded (this team's machines); elsewhere KVM may be right.
  it.skipIf(!existsSync("/sys/module/kvm_pvm"))("picks TCG on a machine whose /dev/kvm is kvm_pvm", async () => {
    expect((await detectAccel()).accel).toBe("tcg");
  });
});
