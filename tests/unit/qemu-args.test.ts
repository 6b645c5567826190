import { describe, expect, it } from "vitest";
import { buildQemuArgs, qemuOptValue, renderCommandLine, type MachineConfig } from "../../src/vm/qemu-args.js";

const base: MachineConfig = {
  memory: "256M",
  cpus: 1,
  accel: "tcg",
  kernel: "/cache/kernels/abc.elf",
  cmdline: "",
  serialSockets: { com1: "/tmp/vm/com1.sock", com2: "/tmp/vm/com2.sock", com3: "/tmp/vm/com3.sock" },
  root: { file: "/images/app.img", offset: 8192, size: 1048576 },
};

describe("QEMU arguments", () => {
  it("describes the whole machine for TCG", () => {
    expect(buildQemuArgs(base)).toEqual([
      "-M", "q35", "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
      "-m", "256M", "-smp", "1",
      "-accel", "tcg", "-cpu", "max",
      "-kernel", "/cache/kernels/abc.elf",
      "-chardev", "socket,id=com1,path=/tmp/vm/com1.sock",
      "-chardev", "socket,id=com2,path=/tmp/vm/com2.sock",
      "-chardev", "socket,id=com3,path=/tmp/vm/com3.sock",
      "-serial", "chardev:com1", "-serial", "chardev:com2", "-serial", "chardev:com3",
      "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
      "-blockdev",
      "driver=raw,node-name=root,file.driver=file,file.filename=/images/app.img,file.locking=off,offset=8192,size=1048576,read-only=on",
      "-device", "virtio-blk-pci,drive=root",
    ]);
  });

  it("uses -cpu host only with KVM", () => {
    const args = buildQemuArgs({ ...base, accel: "kvm" });
    expect(args.join(" ")).toContain("-accel kvm -cpu host");
    expect(args.join(" ")).not.toContain("tcg");
  });

  it("passes the kernel command line only when there is one", () => {
    expect(buildQemuArgs(base)).not.toContain("-append");
    const args = buildQemuArgs({ ...base, cmdline: "trace" });
    expect(args[args.indexOf("-append") + 1]).toBe("trace");
  });

  it("escapes commas in paths inside QEMU option lists", () => {
    expect(qemuOptValue("/a,b/c,,d")).toBe("/a,,b/c,,,,d");
    const args = buildQemuArgs({ ...base, root: { ...base.root, file: "/x,y.img" } });
    expect(args.find((a) => a.startsWith("driver=raw"))).toContain("file.filename=/x,,y.img,");
  });

  it("renders a pasteable command line", () => {
    expect(renderCommandLine("qemu", ["-append", "a b", "-m", "256M"])).toBe("qemu -append 'a b' -m 256M");
  });
});

describe("QEMU networking", () => {
  it("adds a virtio-net NIC on the user network with host forwards", () => {
    const args = buildQemuArgs({
      ...base,
      network: { forwards: [{ proto: "tcp", hostAddress: "127.0.0.1", hostPort: 8080, guestPort: 3000 }] },
    });
    expect(args.slice(-4)).toEqual([
      "-netdev", "user,id=net0,hostfwd=tcp:127.0.0.1:8080-:3000",
      "-device", "virtio-net-pci,netdev=net0",
    ]);
  });

  it("has no NIC without a network", () => {
    expect(buildQemuArgs(base).join(" ")).not.toContain("netdev");
  });
});

describe("-p/--publish", () => {
  it("parses docker-style port forwards, host side on 127.0.0.1 by default", async () => {
    const { parsePublish } = await import("../../src/commands/run.js");
    expect(parsePublish("8080:3000")).toEqual({ proto: "tcp", hostAddress: "127.0.0.1", hostPort: 8080, guestPort: 3000 });
    expect(parsePublish("0.0.0.0:53:5353/udp")).toEqual({ proto: "udp", hostAddress: "0.0.0.0", hostPort: 53, guestPort: 5353 });
    expect(() => parsePublish("80")).toThrow(/--publish expects/);
    expect(() => parsePublish("70000:1")).toThrow(/1-65535/);
  });
});

describe("QEMU machine types", () => {
  it("microvm: ACPI off, COM2/COM3 as isa-serial devices, virtio over MMIO", () => {
    const args = buildQemuArgs({ ...base, machine: "microvm", network: { forwards: [] } });
    expect(args.slice(0, 2)).toEqual(["-M", "microvm,acpi=off"]);
    const joined = args.join(" ");
    expect(joined).toContain("-serial chardev:com1 -device isa-serial,chardev=com2,iobase=0x2f8,irq=3,index=1 -device isa-serial,chardev=com3,iobase=0x3e8,irq=4,index=2");
    expect(joined).toContain("-device virtio-blk-device,drive=root");
    expect(joined).toContain("-device virtio-net-device,netdev=net0");
    expect(joined).not.toContain("-pci");
  });

  it("q35 stays the default, with three -serial ports and PCI devices", () => {
    const joined = buildQemuArgs({ ...base, network: { forwards: [] } }).join(" ");
    expect(joined).toContain("-M q35");
    expect(joined).toContain("-serial chardev:com1 -serial chardev:com2 -serial chardev:com3");
    expect(joined).toContain("virtio-blk-pci,drive=root");
    expect(joined).toContain("virtio-net-pci,netdev=net0");
  });
});

describe("QEMU volumes and host directories", () => {
  const volumes = [
    { file: "/data/vols/db/disk.img", readOnly: false },
    { file: "/data/vols/site,1/disk.img", readOnly: true },
  ];
  const shares = [{ dir: "/home/me/up,loads", tag: "share0", readOnly: true }];

  it("attaches each volume as a further virtio-blk disk after the root, flushes honoured", () => {
    const args = buildQemuArgs({ ...base, volumes, shares, network: { forwards: [] } });
    const rootAt = args.indexOf("virtio-blk-pci,drive=root");
    expect(args.slice(rootAt + 1, rootAt + 13)).toEqual([
      "-blockdev", "driver=raw,node-name=vol0,file.driver=file,file.filename=/data/vols/db/disk.img,cache.direct=off,cache.no-flush=off",
      "-device", "virtio-blk-pci,drive=vol0,write-cache=on",
      "-blockdev", "driver=raw,node-name=vol1,file.driver=file,file.filename=/data/vols/site,,1/disk.img,cache.direct=off,cache.no-flush=off,read-only=on",
      "-device", "virtio-blk-pci,drive=vol1,write-cache=on",
      "-fsdev", "local,id=fs0,path=/home/me/up,,loads,security_model=none,readonly=on",
      "-device", "virtio-9p-pci,fsdev=fs0,mount_tag=share0",
    ]);
    // The NIC comes after every disk, so it never shifts their names.
    expect(args.indexOf("virtio-net-pci,netdev=net0")).toBeGreaterThan(args.indexOf("virtio-9p-pci,fsdev=fs0,mount_tag=share0"));
    // Volumes keep QEMU's image locks (the root alone turns them off).
    expect(args.filter((a) => a.includes("locking=off"))).toHaveLength(1);
  });

  it("puts QEMU's write logger between the format and the file when a volume's writes are logged", () => {
    const args = buildQemuArgs({ ...base, volumes: [{ ...volumes[0]!, writeLog: "/w/db.log" }], network: { forwards: [] } });
    expect(args).toContain("driver=raw,node-name=vol0,file.driver=blklogwrites,file.log.driver=file,file.log.filename=/w/db.log,"
      + "file.log-sector-size=512,file.file.driver=file,file.file.filename=/data/vols/db/disk.img,cache.direct=off,cache.no-flush=off");
  });

  it("uses virtio-mmio devices on microvm", () => {
    const args = buildQemuArgs({ ...base, machine: "microvm", volumes: volumes.slice(0, 1), shares: [{ dir: "/d", tag: "share0", readOnly: false }] });
    expect(args).toContain("virtio-blk-device,drive=vol0,write-cache=on");
    expect(args).toContain("virtio-9p-device,fsdev=fs0,mount_tag=share0");
    expect(args).toContain("local,id=fs0,path=/d,security_model=none");
  });

  it("adds nothing without volumes or shares", () => {
    expect(buildQemuArgs({ ...base, volumes: [], shares: [] })).toEqual(buildQemuArgs(base));
  });
});
