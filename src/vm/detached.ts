// Starting a VM that outlives the CLI (`uninode run -d`) and stopping it (`uninode stop`).
// QEMU is started in its own process group with its serial ports written to files and a QMP
// socket to control it; the CLI returns once QEMU is up.

import net from "node:net";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync } from "node:fs";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { requireTool } from "../tools.js";
import type { Accel } from "./accel.js";
import {
  INSTANCE_FORMAT,
  InstanceError,
  instanceFiles,
  instancesDir,
  isRunning,
  readInstance,
  type Instance,
  type InstanceRecord,
} from "./instances.js";
import { qemuFailure } from "./launch.js";
import { QmpClient } from "./qmp.js";
import {
  type HostShare,
  type MachineType,
  QEMU_BINARY,
  buildQemuArgs,
  renderCommandLine,
  type NetworkConfig,
  type PrivateNic,
  type PortForward,
  type RootDisk,
  type VolumeDisk,
} from "./qemu-args.js";

export interface StartOptions {
  name: string;
  imageLabel: string;
  kernel: string;
  root: RootDisk;
  memory: string;
  cpus: number;
  machine?: MachineType;
  accel: Accel;
  cmdline: string;
  /** Published ports (recorded for `ps`); they travel in `network` when it is the user network. */
  forwards: PortForward[];
  /** The NIC; none when absent (`run --network none`). */
  network?: NetworkConfig;
  /** Private networks' NICs (eth1, ...). */
  privateNics?: PrivateNic[];
  /** Volumes (vdb, vdc, ...) and host directories, as planMounts made them. */
  volumes?: VolumeDisk[];
  shares?: HostShare[];
  /** What is attached, as `ps` shows it (formatMount). */
  mounts?: string[];
  /** Private networks, recorded for `ps` and `inspect`. */
  networks?: { network: string; address: string; aliases: string[] }[];
  env: NodeJS.ProcessEnv;
  debug: (message: string) => void;
  searchPath?: string;
}

/** sockaddr_un holds 108 bytes; a QMP socket path longer than this goes to the temp dir instead. */
const MAX_SOCKET_PATH = 100;

export async function startDetached(o: StartOptions): Promise<InstanceRecord> {
  const qemu = await requireTool(QEMU_BINARY, o.searchPath);
  const root = instancesDir(o.env);
  await mkdir(root, { recursive: true });
  const dir = path.join(root, o.name);
  try {
    await mkdir(dir); // claims the name: two starts with one name cannot both succeed
  } catch {
    const existing = await readInstance(dir);
    if (existing?.state === "running") {
      throw new InstanceError("NAME_IN_USE", `An instance named ${o.name} is already running; stop it (uninode stop ${o.name}) or choose another --name.`);
    }
    if (existing) {
      throw new InstanceError("NAME_IN_USE", `An exited instance named ${o.name} exists; remove it (uninode rm ${o.name}) or choose another --name.`);
    }
    // A directory without a record: a start that crashed; take it over.
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir);
  }
  const id = randomBytes(6).toString("hex");
  const files = instanceFiles(dir);
  let qmp = path.join(dir, "qmp.sock");
  if (qmp.length > MAX_SOCKET_PATH) qmp = path.join(os.tmpdir(), `uninode-${id}.qmp`);
  let control = path.join(dir, "control.sock");
  if (control.length > MAX_SOCKET_PATH) control = path.join(os.tmpdir(), `uninode-${id}.ctl`);
  // The id on QEMU's command line lets `ps` tell our QEMU from a process that reused its pid.
  const args = [
    ...buildQemuArgs({
      memory: o.memory,
      cpus: o.cpus,
      ...(o.machine ? { machine: o.machine } : {}),
      accel: o.accel,
      kernel: o.kernel,
      // The serial ports are files: COM1 has no input side, so stdin is empty from the start.
      cmdline: [o.cmdline, "stdin=null"].filter((s) => s !== "").join(" "),
      serialFiles: { com1: files.stdout, com2: files.stderr, com3: files.kernel },
      controlSocket: control,
      qmpSocket: qmp,
      root: o.root,
      ...(o.network ? { network: o.network } : {}),
      ...(o.privateNics ? { privateNics: o.privateNics } : {}),
      ...(o.volumes ? { volumes: o.volumes } : {}),
      ...(o.shares ? { shares: o.shares } : {}),
    }),
    "-name", `uninode-${o.name}-${id}`,
  ];
  o.debug(renderCommandLine(qemu, args));

  const log = openSync(files.qemu, "a");
  let pid: number | undefined;
  try {
    const child = spawn(qemu, args, { detached: true, stdio: ["ignore", log, log], cwd: dir });
    pid = child.pid;
    child.unref();
    child.on("error", () => undefined);
  } finally {
    closeSync(log);
  }
  if (pid === undefined) {
    await rm(dir, { recursive: true, force: true });
    throw new InstanceError("QEMU_FAILED", "QEMU could not be started.");
  }
  const record: InstanceRecord = {
    format: INSTANCE_FORMAT,
    name: o.name,
    id,
    imageLabel: o.imageLabel,
    image: o.root.file,
    pid,
    qmp,
    control,
    created: new Date().toISOString(),
    memory: o.memory,
    cpus: o.cpus,
    ports: o.forwards,
    ...(o.mounts !== undefined && o.mounts.length > 0 ? { mounts: o.mounts } : {}),
    ...(o.networks !== undefined && o.networks.length > 0 ? { networks: o.networks } : {}),
  };
  await writeFile(files.record, JSON.stringify(record, null, 2) + "\n");

  // Up when QMP answers; a QEMU that refuses its arguments exits within a moment instead.
  for (let waited = 0; waited < 15_000; waited += 100) {
    if (!(await isRunning(pid, id))) {
      const said = (await readFile(files.qemu, "utf8").catch(() => "")).split("\n").map((l) => l.trim()).filter((l) => l !== "");
      // Ended already: keep the instance (ps shows how it ended) unless QEMU itself refused.
      if ((await stat(files.kernel).catch(() => undefined))?.size) return record;
      await rm(dir, { recursive: true, force: true });
      const complaint = said.find((l) => l.startsWith(`${QEMU_BINARY}:`)) ?? said.at(-1) ?? "no message";
      throw new InstanceError("QEMU_FAILED", qemuFailure(said, complaint));
    }
    try {
      (await QmpClient.connect(qmp, 1000)).close();
      return record;
    } catch {
      await sleep(100);
    }
  }
  return record;
}

export interface StopResult {
  /** How it went down: the guest powered off, QEMU quit when told, or it had to be killed. */
  how: "already-exited" | "signaled" | "quit" | "killed";
}

/** Writes `signal N` into the kernel channel (CONTRACT.md); false if nobody listens there. */
async function signalProgram(socketPath: string, sig: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection(socketPath);
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once("error", () => done(false));
    s.once("connect", () => s.end(`signal ${sig}\n`, () => setTimeout(() => done(true), 50)));
  });
}

/** SIGTERM to the program through the kernel channel (a server can close its connections and
 * exit); after `graceMs`, QEMU's `quit`; then SIGKILL. The VM is gone when this resolves. */
export async function stopInstance(inst: Instance, graceMs: number): Promise<StopResult> {
  const { pid, id, qmp } = inst.record;
  if (!(await isRunning(pid, id))) return { how: "already-exited" };
  await writeFile(instanceFiles(inst.dir).stopped, new Date().toISOString() + "\n");
  const gone = async (ms: number) => {
    for (let t = 0; t < ms; t += 100) {
      if (!(await isRunning(pid, id))) return true;
      await sleep(100);
    }
    return !(await isRunning(pid, id));
  };
  let client: QmpClient | undefined;
  try {
    client = await QmpClient.connect(qmp, 2000);
  } catch {
    client = undefined;
  }
  try {
    const { control } = inst.record;
    if (control !== undefined && graceMs > 0 && (await signalProgram(control, 15)) && (await gone(graceMs))) {
      return { how: "signaled" };
    }
    if (client) {
      await client.execute("quit").catch(() => undefined);
      if (await gone(5000)) return { how: "quit" };
    } else {
      // No QMP (the socket was removed): ask as a terminal would, then insist.
      process.kill(pid, "SIGTERM");
      if (await gone(Math.max(graceMs, 3000))) return { how: "quit" };
    }
    process.kill(pid, "SIGKILL");
    await gone(5000);
    return { how: "killed" };
  } finally {
    client?.close();
    await rm(qmp, { force: true });
    if (inst.record.control !== undefined) await rm(inst.record.control, { force: true });
  }
}
