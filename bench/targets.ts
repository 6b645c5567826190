// The three targets behind one face: start a workload, learn how it ended, read what it printed.
// host = the program as a plain process; linux-microvm and uninode = QEMU with the same machine.

import path from "node:path";
import { execa } from "execa";
import type { Accel } from "../src/vm/accel.js";
import { planMounts } from "../src/vm/mounts.js";
import type { Prepared, WorkloadName } from "./setup.js";
import { APP_PORT, STORAGE_DIR } from "./setup.js";
import { guestOutput, microvmCmdline, startVm, type Guest, type GuestNet, type VmEnd } from "./vm.js";

export const TARGETS = ["host", "linux-microvm", "uninode"] as const;
export type TargetName = (typeof TARGETS)[number];
export type VmTargetName = Exclude<TargetName, "host">;
export const VM_TARGETS: readonly VmTargetName[] = ["linux-microvm", "uninode"];

/** The tap network inside the bench's namespace: the namespace's end and the guest. */
export const TAP_NET = { ifname: "bt0", hostAddr: "10.77.0.1", guestAddr: "10.77.0.2", prefix: 24 } as const;

export type NetChoice = { kind: "none" } | { kind: "user"; hostPort: number } | { kind: "tap"; netns: string };

export interface StartOptions {
  net: NetChoice;
  memory: string;
  accel: Accel;
  icount?: boolean;
  /** The file the instruction-counting plugin writes its total to. */
  insnOut?: string;
  qmp?: string;
  workDir: string;
  /** A volume's raw ext4 file, attached read-write and mounted at volumeDir. */
  volume?: string;
  /** Where the volume is mounted (default STORAGE_DIR). */
  volumeDir?: string;
  /** Record the volume's writes and flushes to this file (QEMU's blklogwrites). */
  volumeWriteLog?: string;
}

export interface Started {
  done: Promise<VmEnd>;
  output(): Promise<string>;
  kill(): Promise<void>;
}

export function startTarget(target: TargetName, w: WorkloadName, p: Prepared, o: StartOptions): Promise<Started> {
  return target === "host" ? startHost(w, p, o) : startGuest(target, w, p, o);
}

async function startHost(w: WorkloadName, p: Prepared, o: StartOptions): Promise<Started> {
  const cmd = p.workloads[w].host;
  if (!cmd) throw new Error(`the ${w} workload runs in the VMs only`);
  const env = { ...process.env, ...cmd.env };
  if (o.net.kind === "user") env["PORT"] = String(o.net.hostPort);
  const child = execa(cmd.file, cmd.args, { cwd: cmd.cwd, env, reject: false, all: true, stdin: "ignore", timeout: 600_000 });
  const done = (async (): Promise<VmEnd> => {
    const r = await child;
    return r.signal ? { reason: `stopped by ${r.signal}` } : { status: r.exitCode ?? 1 };
  })();
  return {
    done,
    async output() {
      return String((await child).all ?? "");
    },
    async kill() {
      child.kill("SIGKILL");
      await done;
    },
  };
}

export function guestFor(target: VmTargetName, w: WorkloadName, p: Prepared, net: NetChoice, volume?: string, writeLog?: string, volumeDir: string = STORAGE_DIR): Guest {
  const wl = p.workloads[w];
  // The same disk arguments and mount tokens `uninode run -v NAME:DIR` makes.
  const planned = volume === undefined ? undefined : planMounts([{ kind: "volume", name: "bench", file: volume, target: volumeDir, readOnly: false }]);
  const mounts = planned && writeLog ? { ...planned, volumes: planned.volumes.map((v) => ({ ...v, writeLog })) } : planned;
  const volumes = mounts ? { volumes: mounts.volumes } : {};
  if (target === "uninode") {
    const s = wl.image.header.sections.rootfs;
    // stdin=null: the serial file has no input side, as for detached VMs.
    const cmdline = ["stdin=null", ...(mounts?.tokens ?? [])].join(" ");
    return { target, kernel: wl.uninodeKernel, cmdline, root: { file: wl.image.path, offset: s.offset, size: s.size }, ...volumes };
  }
  const addr =
    net.kind === "tap" ? `${TAP_NET.guestAddr}/${TAP_NET.prefix},${TAP_NET.hostAddr}` : net.kind === "user" ? "10.0.2.15/24,10.0.2.2" : undefined;
  // No root disk: the volume is the first virtio-blk device, vda; its /init mounts it (c/init.c).
  const cmdline = microvmCmdline(addr) + (mounts ? ` benchdisk=vda:${volumeDir}` : "");
  return { target, kernel: p.linux.vmlinuz, cmdline, initrd: wl.initramfs.file, ...volumes };
}

async function startGuest(target: VmTargetName, w: WorkloadName, p: Prepared, o: StartOptions): Promise<Started> {
  let net: GuestNet | undefined;
  if (o.net.kind === "user") net = { kind: "user", forwards: [{ proto: "tcp", hostAddress: "127.0.0.1", hostPort: o.net.hostPort, guestPort: p.workloads[w].port ?? APP_PORT }] };
  else if (o.net.kind === "tap") net = { kind: "tap", ifname: TAP_NET.ifname };
  else net = { kind: "user", forwards: [] }; // every uninode VM has its NIC; so does the microVM
  const vm = await startVm(guestFor(target, w, p, o.net, o.volume, o.volumeWriteLog, o.volumeDir), {
    memory: o.memory,
    accel: o.accel,
    net,
    workDir: path.join(o.workDir),
    ...(o.icount ? { icount: true } : {}),
    ...(o.insnOut ? { plugin: { so: p.plugin, out: o.insnOut } } : {}),
    ...(o.qmp ? { qmp: o.qmp } : {}),
    ...(o.net.kind === "tap" ? { netns: o.net.netns } : {}),
  });
  return { done: vm.done, output: () => guestOutput(vm), kill: () => vm.kill() };
}
