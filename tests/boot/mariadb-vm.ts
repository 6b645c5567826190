// What the MariaDB tests share: building apps/mariadb, running it detached with a volume, and
// talking to it with the host's `mariadb` client (Debian's mariadb-client, scripts/setup).

import { execa, type ResultPromise } from "execa";
import net from "node:net";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const root = resolve(import.meta.dirname, "../..");
export const cli = join(root, "dist/cli.js");
export const TAG = "mariadb-test";

/** The CLI's environment: state, data (volumes) and cache under WORK. */
export function vmEnv(work: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    XDG_STATE_HOME: join(work, "state"),
    XDG_DATA_HOME: join(work, "data"),
    XDG_CACHE_HOME: join(work, "cache"),
  };
}

export function uninode(work: string, args: string[]) {
  return execa("node", [cli, ...args], { env: vmEnv(work), reject: false });
}

/** Build apps/mariadb as TAG (Debian's packages through the host's apt). */
export async function buildMariadb(work: string): Promise<void> {
  const r = await uninode(work, ["build", join(root, "apps/mariadb"), "--tag", TAG]);
  if (r.exitCode !== 0) throw new Error(`build apps/mariadb failed: ${r.stderr}`);
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => done(port));
    });
    s.on("error", fail);
  });
}

export interface Vm { name: string; pid: number; port: number }

/** `run -d` the image with VOLUME at /var/lib/mysql, ENV (-e) and ARGS after `--`. */
export async function startVm(work: string, name: string, volume: string, env: string[] = [], args: string[] = []): Promise<Vm> {
  const port = await freePort();
  const r = await uninode(work, ["run", "-d", "--json", "--name", name, "-p", `127.0.0.1:${port}:3306`, "-v", `${volume}:/var/lib/mysql`,
    ...env.flatMap((e) => ["-e", e]), TAG, ...(args.length ? ["--", ...args] : [])]);
  if (r.exitCode !== 0) throw new Error(`run -d ${name} failed: ${r.stderr}`);
  return { name, pid: (JSON.parse(r.stdout) as { pid: number }).pid, port };
}

/** The client's arguments for VM as root with PASSWORD. */
export function clientArgs(vm: Vm, password: string, user = "root"): string[] {
  // --password=: an empty one is sent as empty (a bare -p would ask on the terminal).
  return ["-h", "127.0.0.1", "-P", String(vm.port), `--user=${user}`, `--password=${password}`, "--connect-timeout=5", "-N", "-B"];
}

/** Run SQL through the host's client; its result (exitCode, stdout, stderr). */
export function sql(vm: Vm, password: string, query: string, opts: { user?: string; db?: string; input?: string } = {}) {
  const args = [...clientArgs(vm, password, opts.user), ...(opts.db ? [opts.db] : []), ...(query ? ["-e", query] : [])];
  return execa("mariadb", args, { reject: false, ...(opts.input !== undefined ? { input: opts.input } : {}) });
}

/** Whether the VM's QEMU is still alive. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Wait until the server answers root with PASSWORD; the time it took in ms. Throws with the
 * VM's log if it ends or MS pass first. */
export async function waitReady(work: string, vm: Vm, password: string, ms = 300_000): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    const r = await sql(vm, password, "SELECT 1");
    if (r.exitCode === 0 && r.stdout.trim() === "1") return Date.now() - start;
    if (!alive(vm.pid)) break;
    await sleep(500);
  }
  const logs = await uninode(work, ["logs", vm.name]);
  throw new Error(`${vm.name} did not answer in ${Date.now() - start} ms:\n${logs.stderr}`);
}

/** `uninode stop` (SIGTERM, then QEMU's quit after the grace period); the time it took in ms. */
export async function stopVm(work: string, vm: Vm): Promise<number> {
  const start = Date.now();
  const r = await uninode(work, ["stop", "-t", "120", vm.name]);
  if (r.exitCode !== 0) throw new Error(`stop ${vm.name}: ${r.stderr}`);
  return Date.now() - start;
}

/** The program's stderr (mariadbd's log) of a VM. */
export async function serverLog(work: string, vm: Vm): Promise<string> {
  return (await uninode(work, ["logs", vm.name])).stderr;
}

/** A client that inserts row after row, each its own committed transaction, printing the id of
 * each as its COMMIT is acknowledged (`--unbuffered`: one line as each statement returns). */
export function inserter(vm: Vm, password: string, db: string, from: number, count: number): { proc: ResultPromise; acked: () => number; waitAcks: (n: number) => Promise<void> } {
  const lines: string[] = [];
  for (let i = from; i < from + count; i++) lines.push(`INSERT INTO t (id, v) VALUES (${i}, REPEAT('x', 200)); SELECT ${i};`);
  const proc = execa("mariadb", [...clientArgs(vm, password), "--unbuffered", db], { input: lines.join("\n") + "\n", reject: false, buffer: { stdout: false } });
  let last = 0;
  let tail = "";
  const waiters: { n: number; done: () => void }[] = [];
  proc.stdout!.on("data", (chunk: Buffer) => {
    tail += chunk.toString();
    let nl: number;
    while ((nl = tail.indexOf("\n")) !== -1) {
      const n = Number(tail.slice(0, nl));
      tail = tail.slice(nl + 1);
      if (Number.isInteger(n) && n > last) last = n;
      for (const w of waiters.filter((w) => last - from + 1 >= w.n)) w.done();
    }
  });
  void proc.finally(() => { for (const w of waiters) w.done(); });
  return {
    proc,
    acked: () => last,
    waitAcks: (n) => new Promise<void>((done) => { if (last - from + 1 >= n) done(); else waiters.push({ n, done }); }),
  };
}
