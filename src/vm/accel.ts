// Choosing QEMU's accelerator: KVM when /dev/kvm is real hardware virtualization, TCG otherwise.
// On this team's machines /dev/kvm comes from kvm_pvm, a software nested-virtualization module
// that cannot run ordinary guests, so its presence alone means TCG.

import { constants } from "node:fs";
import { access } from "node:fs/promises";

export type Accel = "kvm" | "tcg";

export interface AccelChoice {
  accel: Accel;
  /** Why, in a few words, for the one line we print about it. */
  reason: string;
}

/** The facts detection looks at; injectable so the decision is unit-testable. */
export interface HostProbe {
  exists(path: string): Promise<boolean>;
  canOpenReadWrite(path: string): Promise<boolean>;
}

export const realHost: HostProbe = {
  async exists(p) {
    try {
      await access(p, constants.F_OK);
      return true;
    } catch {
      return false;
    }
  },
  async canOpenReadWrite(p) {
    try {
      await access(p, constants.R_OK | constants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
};

export async function detectAccel(host: HostProbe = realHost): Promise<AccelChoice> {
  if (await host.exists("/sys/module/kvm_pvm")) {
    return { accel: "tcg", reason: "/dev/kvm is kvm_pvm, which cannot run ordinary guests" };
  }
  if (!(await host.exists("/dev/kvm"))) return { accel: "tcg", reason: "there is no /dev/kvm" };
  if (!(await host.canOpenReadWrite("/dev/kvm"))) {
    return { accel: "tcg", reason: "/dev/kvm is not readable and writable by this user" };
  }
  if (!(await host.exists("/sys/module/kvm_intel")) && !(await host.exists("/sys/module/kvm_amd"))) {
    return { accel: "tcg", reason: "neither kvm_intel nor kvm_amd is loaded" };
  }
  return { accel: "kvm", reason: "/dev/kvm has hardware virtualization" };
}

/** The one line said about the choice (never silently, per DESIGN.md). */
export function describeAccel(choice: AccelChoice, forced: boolean): string {
  if (forced) return `using ${choice.accel.toUpperCase()} (--accel ${choice.accel})`;
  return choice.accel === "kvm"
    ? "using KVM"
    : `using TCG emulation because ${choice.reason}; programs run several times slower than on KVM`;
}
