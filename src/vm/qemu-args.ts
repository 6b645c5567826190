// QEMU's command line as data: each piece of the machine is a typed value rendered by one small
// function, so the whole line can be unit-tested without starting QEMU.

import type { Accel } from "./accel.js";

export const QEMU_BINARY = "qemu-system-x86_64";

/** The three 16550 UARTs of CONTRACT.md, in the order -serial assigns them (COM1, COM2, COM3). */
export const SERIAL_PORTS = ["com1", "com2", "com3"] as const;
export type SerialPort = (typeof SERIAL_PORTS)[number];

export interface RootDisk {
  /** The image file; the root fs is a window into it. */
  file: string;
  offset: number;
  size: number;
}

/** A host port forwarded into the guest (QEMU user networking's hostfwd). */
export interface PortForward {
  proto: "tcp" | "udp";
  /** The host address to listen on; 127.0.0.1 unless asked otherwise. */
  hostAddress: string;
  hostPort: number;
  guestPort: number;
}

/** One virtio-net NIC: on QEMU's user network (10.0.2.0/24: the guest is 10.0.2.15 by DHCP,
 * the host is reachable as 10.0.2.2, QEMU's DNS forwarder is 10.0.2.3) with published ports,
 * or on a host tap device the user set up (a bridge, routing: the host's own network). */
export type NetworkConfig = { forwards: PortForward[] } | { tap: string };

/** A further virtio-net NIC on a private network's segment: QEMU's socket backend on a multicast
 * group bound to the loopback (no root, no daemon; networks.ts says why). */
export interface PrivateNic {
  /** The multicast group and UDP port of the segment. */
  group: string;
  port: number;
  /** Unique on the segment (QEMU would give every VM's second NIC the same one). */
  mac: string;
}

/** q35: PCI (virtio-pci, ECAM), the default. microvm: no PCI, virtio-mmio, fewer devices to emulate. */
export type MachineType = "q35" | "microvm";
export const MACHINE_TYPES: readonly MachineType[] = ["q35", "microvm"];

export interface MachineConfig {
  /** The QEMU machine; q35 when absent. */
  machine?: MachineType;
  /** QEMU -m syntax: "256M", "1G". */
  memory: string;
  cpus: number;
  accel: Accel;
  kernel: string;
  /** Kernel command line; omitted when empty. */
  cmdline: string;
  /** Unix socket path each UART's chardev connects to, by port (a VM the CLI stays attached to). */
  serialSockets?: Record<SerialPort, string>;
  /** Or a file each UART writes to, by port (a detached VM); takes precedence over serialSockets. */
  serialFiles?: Record<SerialPort, string>;
  /** With serialFiles: COM3 also listens on this unix socket, so `stop` can send the program a signal (CONTRACT.md). */
  controlSocket?: string;
  /** A QMP control socket QEMU listens on (detached VMs: `uninode stop`). */
  qmpSocket?: string;
  root: RootDisk;
  /** No NIC when absent. */
  network?: NetworkConfig;
  /** Private networks' NICs, after `network`'s (the kernel's eth1, eth2, ...). */
  privateNics?: PrivateNic[];
  /** Named volumes, attached after the root disk in this order: the kernel sees vdb, vdc, ... */
  volumes?: VolumeDisk[];
  /** Host directories shared over virtio-9p. */
  shares?: HostShare[];
}

/** A named volume's raw ext4 file, a further virtio-blk disk. */
export interface VolumeDisk {
  file: string;
  readOnly: boolean;
  /** Record every write and flush to this file (QEMU's blklogwrites, dm-log-writes format): the
   * crash tests rebuild the disk at each flush from it. Set by UNINODE_VOLUME_WRITE_LOG. */
  writeLog?: string;
}

/** A host directory the guest mounts by its virtio-9p mount tag. */
export interface HostShare {
  dir: string;
  /** The mount_tag the kernel's mount=9p:TAG:PATH names. */
  tag: string;
  readOnly: boolean;
}

/** Values inside QEMU's key=value,... option syntax escape a comma by doubling it. */
export function qemuOptValue(v: string): string {
  return v.replace(/,/g, ",,");
}

export function machineArgs(machine: MachineType = "q35"): string[] {
  // No default devices, no config file, no display, and a guest reset ends QEMU instead of rebooting.
  // microvm with ACPI off: one IO-APIC, and QEMU names its virtio-mmio devices on the kernel
  // command line (virtio_mmio.device=...), which PVH boot loses when ACPI is on (QEMU 7.2).
  const m = machine === "microvm" ? "microvm,acpi=off" : "q35";
  return ["-M", m, "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot"];
}

/** Chardevs become UARTs: q35 has three ISA serial slots; microvm makes only COM1, so COM2 and
 * COM3 are added as isa-serial devices at the standard ports (CONTRACT.md). */
function uartArgs(machine: MachineType): string[] {
  if (machine !== "microvm") return SERIAL_PORTS.flatMap((port) => ["-serial", `chardev:${port}`]);
  return [
    "-serial", "chardev:com1",
    "-device", "isa-serial,chardev=com2,iobase=0x2f8,irq=3,index=1",
    "-device", "isa-serial,chardev=com3,iobase=0x3e8,irq=4,index=2",
  ];
}

function virtioDevice(machine: MachineType, kind: "blk" | "net" | "9p"): string {
  return machine === "microvm" ? `virtio-${kind}-device` : `virtio-${kind}-pci`;
}

export function resourceArgs(memory: string, cpus: number): string[] {
  return ["-m", memory, "-smp", String(cpus)];
}

export function accelArgs(accel: Accel): string[] {
  // -cpu host only exists under KVM; under TCG, `max` offers every feature QEMU can emulate.
  return accel === "kvm" ? ["-accel", "kvm", "-cpu", "host"] : ["-accel", "tcg", "-cpu", "max"];
}

export function kernelArgs(kernel: string, cmdline: string): string[] {
  const args = ["-kernel", kernel];
  if (cmdline !== "") args.push("-append", cmdline);
  return args;
}

export function serialArgs(sockets: Record<SerialPort, string>): string[] {
  const args: string[] = [];
  // QEMU connects to our listening sockets (server=off is the default), so the CLI owns them.
  for (const port of SERIAL_PORTS) args.push("-chardev", `socket,id=${port},path=${qemuOptValue(sockets[port])}`);
  return args;
}

/** Each UART appends to a file of its own: a detached VM's logs outlive the CLI that started it. */
export function serialFileArgs(files: Record<SerialPort, string>, controlSocket?: string): string[] {
  const args: string[] = [];
  for (const port of SERIAL_PORTS) {
    if (port === "com3" && controlSocket !== undefined) {
      // Still logged to its file; the socket takes the host's control lines (signal N).
      args.push("-chardev", `socket,id=${port},path=${qemuOptValue(controlSocket)},server=on,wait=off,logfile=${qemuOptValue(files[port])},logappend=on`);
    } else {
      args.push("-chardev", `file,id=${port},path=${qemuOptValue(files[port])},append=on`);
    }
  }
  return args;
}

/** QEMU listens for QMP on a unix socket and does not wait for a client before running the guest. */
export function qmpArgs(socket: string): string[] {
  return ["-qmp", `unix:${qemuOptValue(socket)},server=on,wait=off`];
}

export function exitDeviceArgs(): string[] {
  return ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"];
}

export function rootDiskArgs(root: RootDisk, machine: MachineType = "q35"): string[] {
  const blockdev = [
    "driver=raw",
    "node-name=root",
    "file.driver=file",
    `file.filename=${qemuOptValue(root.file)}`,
    // Several VMs may boot the same cached image at once; it is read-only, so no lock is needed.
    "file.locking=off",
    `offset=${root.offset}`,
    `size=${root.size}`,
    "read-only=on",
  ].join(",");
  return ["-blockdev", blockdev, "-device", `${virtioDevice(machine, "blk")},drive=root`];
}

/** The disk name the kernel gives the Nth volume (0-based): vda is the root, so vdb, vdc, ... */
export function volumeDiskName(index: number): string {
  return "vd" + String.fromCharCode("b".charCodeAt(0) + index);
}

/** Each volume is one more virtio-blk device after the root's, so the kernel's probe order (PCI
 * slot order on q35, which QEMU fills in command-line order; the virtio_mmio.device= list on
 * microvm) names them vdb, vdc, ... in the order given here. */
export function volumeDiskArgs(volumes: readonly VolumeDisk[], machine: MachineType = "q35"): string[] {
  return volumes.flatMap((v, i) => {
    const id = `vol${i}`;
    // With a write log the raw format sits on blklogwrites, which writes through to the file.
    const file = v.writeLog ? "file.file" : "file";
    const blockdev = [
      "driver=raw",
      `node-name=${id}`,
      ...(v.writeLog
        ? ["file.driver=blklogwrites", "file.log.driver=file", `file.log.filename=${qemuOptValue(v.writeLog)}`, "file.log-sector-size=512"]
        : []),
      `${file}.driver=file`,
      `${file}.filename=${qemuOptValue(v.file)}`,
      // QEMU's image locks stay on (a second QEMU writing the same file is refused even if our
      // own lock were bypassed). Cache mode is QEMU's default writeback (cache.direct=off,
      // cache.no-flush=off): writes may sit in the host's page cache, but every flush the guest
      // sends becomes an fdatasync of this file, so whatever the kernel's fsync acknowledged is
      // on the host's disk. no-flush would break that promise; direct=on only costs speed.
      "cache.direct=off",
      "cache.no-flush=off",
      ...(v.readOnly ? ["read-only=on"] : []),
    ].join(",");
    // write-cache=on makes the device offer VIRTIO_BLK_F_FLUSH, so the guest has a flush to send.
    return ["-blockdev", blockdev, "-device", `${virtioDevice(machine, "blk")},drive=${id},write-cache=on`];
  });
}

/** A host directory over virtio-9p (9P2000.L). security_model=none: files the guest creates belong
 * to the user running QEMU, and ownership changes are not stored, which suits handing files in and
 * out; it is not a durability path (QEMU serves it from the host's page cache). */
export function hostShareArgs(shares: readonly HostShare[], machine: MachineType = "q35"): string[] {
  return shares.flatMap((s, i) => {
    const id = `fs${i}`;
    const fsdev = ["local", `id=${id}`, `path=${qemuOptValue(s.dir)}`, "security_model=none", ...(s.readOnly ? ["readonly=on"] : [])].join(",");
    return ["-fsdev", fsdev, "-device", `${virtioDevice(machine, "9p")},fsdev=${id},mount_tag=${qemuOptValue(s.tag)}`];
  });
}

export function networkArgs(net: NetworkConfig, machine: MachineType = "q35"): string[] {
  const device = ["-device", `${virtioDevice(machine, "net")},netdev=net0`];
  if ("tap" in net) {
    // No scripts: the tap's addresses and bridge are the user's. QEMU turns vnet_hdr on where
    // the tap has it, which is what lets the guest leave TCP checksums to the host.
    return ["-netdev", `tap,id=net0,ifname=${qemuOptValue(net.tap)},script=no,downscript=no`, ...device];
  }
  const netdev = ["user", "id=net0"];
  for (const f of net.forwards) netdev.push(`hostfwd=${f.proto}:${f.hostAddress}:${f.hostPort}-:${f.guestPort}`);
  return ["-netdev", netdev.join(","), ...device];
}

/** Each private NIC joins its segment's multicast group on 127.0.0.1 (loopback only: nothing
 * leaves the host), after the user network's NIC so the kernel names it eth1 (PCI slot order). */
export function privateNicArgs(nics: readonly PrivateNic[], machine: MachineType = "q35"): string[] {
  return nics.flatMap((n, i) => [
    "-netdev", `socket,id=pnet${i},mcast=${n.group}:${n.port},localaddr=127.0.0.1`,
    "-device", `${virtioDevice(machine, "net")},netdev=pnet${i},mac=${n.mac}`,
  ]);
}

/** The full argument list (without the binary name). */
export function buildQemuArgs(cfg: MachineConfig): string[] {
  const machine = cfg.machine ?? "q35";
  return [
    ...machineArgs(machine),
    ...resourceArgs(cfg.memory, cfg.cpus),
    ...accelArgs(cfg.accel),
    ...kernelArgs(cfg.kernel, cfg.cmdline),
    ...(cfg.serialFiles ? serialFileArgs(cfg.serialFiles, cfg.controlSocket) : serialArgs(requireSockets(cfg.serialSockets))),
    ...uartArgs(machine),
    ...(cfg.qmpSocket ? qmpArgs(cfg.qmpSocket) : []),
    ...exitDeviceArgs(),
    ...rootDiskArgs(cfg.root, machine),
    ...volumeDiskArgs(cfg.volumes ?? [], machine),
    ...hostShareArgs(cfg.shares ?? [], machine),
    ...(cfg.network ? networkArgs(cfg.network, machine) : []),
    ...privateNicArgs(cfg.privateNics ?? [], machine),
  ];
}

function requireSockets(s: Record<SerialPort, string> | undefined): Record<SerialPort, string> {
  if (s === undefined) throw new Error("a VM needs serialSockets or serialFiles");
  return s;
}

/** A shell-pasteable rendering, for --verbose. */
export function renderCommandLine(binary: string, args: string[]): string {
  return [binary, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(" ");
}
