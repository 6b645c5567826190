// Detached VMs (`uninode run -d`) and their state: one directory per instance under
// $XDG_STATE_HOME/uninode/instances/NAME (or ~/.local/state/uninode/...), holding instance.json
// (QEMU's pid, the QMP socket, what was booted), the three serial ports' logs (stdout.log,
// stderr.log, kernel.log) and QEMU's own messages (qemu.log). Whether an instance runs is asked of
// the OS each time (its pid is alive, not a zombie, and is QEMU with this instance's files), so
// nothing goes stale; directories a crashed start left half-made are removed.

import { readFile, readdir, rm, stat, unlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { UninodeError, UsageError } from "../errors.js";
import { parseRecord, type ExitRecord } from "./console.js";
import type { PortForward } from "./qemu-args.js";

export const INSTANCE_FORMAT = 1;
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

export interface InstanceRecord {
  format: number;
  name: string;
  /** 12 hex digits, unique per start; QEMU's command line carries it (through the state paths). */
  id: string;
  /** What the user asked to run: a tag, an image file, an app directory, or --exec PROGRAM. */
  imageLabel: string;
  /** The image file QEMU reads the root fs from. */
  image: string;
  pid: number;
  qmp: string;
  /** The kernel channel's socket (CONTRACT.md: signal N); absent in records from before it existed. */
  control?: string;
  /** ISO time of the start. */
  created: string;
  memory: string;
  cpus: number;
  ports: PortForward[];
  /** Attached volumes and host directories, SOURCE:/PATH[:ro] (absent when none). */
  mounts?: string[];
  /** Private networks the VM is on, with its address and aliases there (absent when none). */
  networks?: { network: string; address: string; aliases: string[] }[];
}

export type InstanceState = "running" | "exited";

export interface Instance {
  dir: string;
  record: InstanceRecord;
  state: InstanceState;
  /** How the program ended, from the kernel channel's last record (exited instances). */
  exit?: ExitRecord;
  /** Stopped by `uninode stop` (QEMU was told to quit). */
  stopped: boolean;
}

export class InstanceError extends UninodeError {}

/** $XDG_STATE_HOME/uninode, or ~/.local/state/uninode. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env["XDG_STATE_HOME"];
  if (xdg !== undefined && path.isAbsolute(xdg)) return path.join(xdg, "uninode");
  return path.join(env["HOME"] ?? os.homedir(), ".local", "state", "uninode");
}

export function instancesDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stateDir(env), "instances");
}

export function checkName(name: string): string {
  if (!NAME.test(name)) {
    throw new UsageError(`--name expects letters, digits, ".", "_" and "-" (up to 63, starting with a letter or digit), got "${name}".`);
  }
  return name;
}

/** The files of an instance, by purpose. */
export function instanceFiles(dir: string) {
  return {
    record: path.join(dir, "instance.json"),
    stdout: path.join(dir, "stdout.log"),
    stderr: path.join(dir, "stderr.log"),
    kernel: path.join(dir, "kernel.log"),
    qemu: path.join(dir, "qemu.log"),
    stopped: path.join(dir, "stopped"),
  };
}

/** Is `pid` a live (not zombie) QEMU started for instance `id`? */
export async function isRunning(pid: number, id: string): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    const statText = await readFile(`/proc/${pid}/stat`, "utf8");
    // Field 3, after the parenthesised command name (which may itself hold spaces).
    const st = statText.slice(statText.lastIndexOf(")") + 2).split(" ")[0];
    if (st === "Z" || st === "X") return false;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.includes(id);
  } catch {
    return false;
  }
}

/** The last exit record in a kernel log. */
export async function exitRecordOf(kernelLog: string): Promise<ExitRecord | undefined> {
  let text: string;
  try {
    text = await readFile(kernelLog, "utf8");
  } catch {
    return undefined;
  }
  let rec: ExitRecord | undefined;
  for (const line of text.split("\n").slice(-50)) rec = parseRecord(line) ?? rec;
  return rec;
}

/** Reads one instance directory; undefined when it holds no valid record. */
export async function readInstance(dir: string): Promise<Instance | undefined> {
  const files = instanceFiles(dir);
  let record: InstanceRecord;
  try {
    record = JSON.parse(await readFile(files.record, "utf8")) as InstanceRecord;
  } catch {
    return undefined;
  }
  if (record.format !== INSTANCE_FORMAT || typeof record.pid !== "number") return undefined;
  const running = await isRunning(record.pid, record.id);
  const stopped = await stat(files.stopped).then(() => true, () => false);
  const inst: Instance = { dir, record, state: running ? "running" : "exited", stopped };
  if (!running) {
    const exit = await exitRecordOf(files.kernel);
    if (exit) inst.exit = exit;
    // The QMP socket of a VM that is gone is only litter.
    await unlink(record.qmp).catch(() => undefined);
  }
  return inst;
}

/** Every instance, sorted by creation time; half-made directories older than a minute are removed. */
export async function listInstances(env: NodeJS.ProcessEnv = process.env): Promise<Instance[]> {
  const root = instancesDir(env);
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const out: Instance[] = [];
  for (const name of names.sort()) {
    const dir = path.join(root, name);
    const inst = await readInstance(dir);
    if (inst) {
      out.push(inst);
      continue;
    }
    const st = await stat(dir).catch(() => undefined);
    if (st?.isDirectory() && Date.now() - st.mtimeMs > 60_000) await rm(dir, { recursive: true, force: true });
  }
  return out.sort((a, b) => (a.record.created < b.record.created ? -1 : a.record.created > b.record.created ? 1 : 0));
}

/** The instance named `name`, or one sentence saying there is none. */
export async function findInstance(name: string, env: NodeJS.ProcessEnv = process.env): Promise<Instance> {
  const inst = NAME.test(name) ? await readInstance(path.join(instancesDir(env), name)) : undefined;
  if (!inst) throw new InstanceError("NO_SUCH_INSTANCE", `There is no instance named ${name}; \`uninode ps -a\` lists them.`);
  return inst;
}

/** "running", "exited (0)", "exited (signal 11)", "panicked", "stopped". */
/** A published port as `ps` shows it: 127.0.0.1:8080->3000/tcp. */
export function formatForward(p: PortForward): string {
  return `${p.hostAddress}:${p.hostPort}->${p.guestPort}/${p.proto}`;
}

export function describeState(inst: Instance): string {
  if (inst.state === "running") return "running";
  if (inst.exit?.kind === "exit") return `exited (${inst.exit.code})`;
  // `stop` sends SIGTERM: a program that dies of it was stopped, as asked.
  if (inst.exit?.kind === "signal" && inst.stopped && inst.exit.signal === 15) return "stopped";
  if (inst.exit?.kind === "signal") return `exited (signal ${inst.exit.signal})`;
  if (inst.exit?.kind === "panic") return "panicked";
  return inst.stopped ? "stopped" : "exited (no record)";
}

/** "3s", "5m", "2h", "4d". */
export function age(fromIso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(fromIso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
