// The MariaDB phase (issue 11): Debian's MariaDB from apps/mariadb's recipe, in uninode and in
// the Linux microVM (whose initramfs is the same image's root fs: the same entrypoint, mariadbd,
// libraries and my.cnf), each on a fresh volume made by `uninode volume create` and mounted at
// /var/lib/mysql. The first boot initialises the empty volume (timed on its own: launch to the
// first query answered), then the host's mysqlslap runs a read-write mix at 8 clients.

import path from "node:path";
import { performance } from "node:perf_hooks";
import { mkdir, rm } from "node:fs/promises";
import net from "node:net";
import { execa } from "execa";
import { lastLine, na, type Cell, type PhaseContext } from "./phases.js";
import { createVolume } from "./storage.js";
import { VM_TARGETS, startTarget, type TargetName, type VmTargetName } from "./targets.js";
import { freePort } from "./vm.js";

/** The port mariadbd listens on in the image (the recipe's). */
export const MARIADB_PORT = 3306;
/** Where the image keeps its data directory: the volume goes there. */
export const MARIADB_DATADIR = "/var/lib/mysql";
/** The root password the bench's copy of the recipe sets on the first boot (a bench secret only). */
export const MARIADB_PASSWORD = "bench-root";

/** How long mysqlslap may take (both VMs do 2,000 queries in under 10 s under TCG). */
const SLAP_BUDGET_MS = 300_000;

export interface MariadbPlan {
  /** mysqlslap --concurrency. */
  clients: number;
  /** mysqlslap --number-of-queries: all clients together. */
  queries: number;
  volumeMiB: number;
}

export interface SlapResult {
  /** mysqlslap's average seconds to run all queries (one iteration). */
  seconds: number;
  clients: number;
  queries: number;
}

export interface MariadbResults {
  plan: MariadbPlan;
  /** Launch to the first `SELECT 1` answered on an empty volume, seconds. */
  init: Record<VmTargetName, Cell<number>>;
  slap: Record<VmTargetName, Cell<SlapResult>>;
}

/** mysqlslap's arguments against 127.0.0.1:port: the read-write mix of auto-generated SQL on InnoDB. */
export function slapArgs(port: number, plan: MariadbPlan): string[] {
  return [
    "-h127.0.0.1",
    `-P${port}`,
    "-uroot",
    `-p${MARIADB_PASSWORD}`,
    `--concurrency=${plan.clients}`,
    "--iterations=1",
    `--number-of-queries=${plan.queries}`,
    "--auto-generate-sql",
    "--auto-generate-sql-load-type=mixed",
    "--auto-generate-sql-add-autoincrement",
    "--engine=innodb",
  ];
}

/** mysqlslap's report, parsed; undefined when it printed none. */
export function parseSlap(text: string, queries: number): SlapResult | undefined {
  const avg = /Average number of seconds to run all queries: ([\d.]+) seconds/.exec(text);
  const clients = /Number of clients running queries: (\d+)/.exec(text);
  if (!avg || !clients) return undefined;
  return { seconds: Number(avg[1]), clients: Number(clients[1]), queries };
}

/** Polls `SELECT 1` as root until it answers; performance.now() then, or undefined. */
async function firstAnswer(port: number, gone: Promise<unknown>, deadlineMs: number): Promise<number | undefined> {
  let ended = false;
  void gone.then(() => (ended = true));
  const deadline = performance.now() + deadlineMs;
  while (!ended && performance.now() < deadline) {
    const r = await execa("mariadb", ["-h127.0.0.1", `-P${port}`, "-uroot", `--password=${MARIADB_PASSWORD}`, "--connect-timeout=2", "-N", "-B", "-e", "SELECT 1"], { reject: false, timeout: 10_000 });
    if (r.exitCode === 0 && r.stdout.trim() === "1") return performance.now();
    await new Promise((res) => setTimeout(res, 200));
  }
  return undefined;
}

/**
 * A front on the host for QEMU's port forward that lets one connection through at a time.
 * QEMU's user network listens with a backlog of 1: mysqlslap's 8 clients connecting at once
 * overflow it, the host answers with SYN cookies, and a client whose final ACK is dropped
 * believes it is connected while no server side exists; MariaDB speaks first, so it waits for
 * ever (seen with uninode, whose QEMU accepts more slowly). The front accepts with a deep
 * backlog and opens the next connection to the forward only once the previous one has received
 * the server's greeting; then bytes are piped both ways, for both VMs alike.
 */
export async function serialFront(forward: number): Promise<{ port: number; close: () => Promise<void> }> {
  let chain: Promise<void> = Promise.resolve();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.pause();
    client.on("error", () => client.destroy());
    client.on("close", () => sockets.delete(client));
    chain = chain.then(
      () =>
        new Promise<void>((released) => {
          if (client.destroyed) return released();
          const up = net.connect(forward, "127.0.0.1");
          sockets.add(up);
          const timer = setTimeout(() => up.destroy(), 60_000);
          const done = () => {
            clearTimeout(timer);
            released();
          };
          up.once("data", (greeting) => {
            done();
            client.write(greeting);
            up.pipe(client);
            client.pipe(up);
            client.resume();
          });
          up.on("error", () => undefined);
          up.on("close", () => {
            sockets.delete(up);
            client.destroy();
            done();
          });
          client.on("close", () => up.destroy());
        }),
    );
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen({ port: 0, host: "127.0.0.1", backlog: 511 }, ok);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };
}

/** Boot each VM target once on a fresh volume: the initialisation's time, then mysqlslap. */
export async function mariadbPhase(ctx: PhaseContext, plan: MariadbPlan): Promise<MariadbResults> {
  const res: MariadbResults = { plan, init: {} as MariadbResults["init"], slap: {} as MariadbResults["slap"] };
  const base = path.join(ctx.workDir, "mariadb");
  await rm(base, { recursive: true, force: true });
  await mkdir(base, { recursive: true });
  try {
    for (const t of VM_TARGETS) {
      let volume: string;
      try {
        volume = await createVolume(`bench-mariadb-${t}`, plan.volumeMiB, path.join(base, "xdg"));
      } catch (err) {
        res.init[t] = na((err as Error).message);
        res.slap[t] = na((err as Error).message);
        continue;
      }
      const port = await freePort();
      const t0 = performance.now();
      const s = await startTarget(t, "mariadb", ctx.prepared, {
        net: { kind: "user", hostPort: port },
        memory: ctx.memory,
        accel: ctx.accel,
        workDir: path.join(base, t),
        volume,
        volumeDir: MARIADB_DATADIR,
      });
      try {
        const at = await firstAnswer(port, s.done, 600_000);
        if (at === undefined) {
          const end = await Promise.race([s.done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000))]);
          const how = end === undefined ? "no answer to SELECT 1 within 600 s" : end.status !== undefined ? `exited ${end.status} before answering` : `${end.reason} before answering`;
          const why = `${how}: ${lastLine(await s.output())}`;
          res.init[t] = na(why);
          res.slap[t] = na(why);
          continue;
        }
        res.init[t] = { ok: (at - t0) / 1000 };
        // Bounded: a client whose connection the server never sees waits for ever.
        const front = await serialFront(port);
        const r = await execa("mysqlslap", slapArgs(front.port, plan), { reject: false, all: true, timeout: SLAP_BUDGET_MS }).finally(() => front.close());
        const parsed = r.exitCode === 0 ? parseSlap(String(r.all ?? ""), plan.queries) : undefined;
        const failed = r.timedOut ? `mysqlslap did not finish within ${SLAP_BUDGET_MS / 1000} s` : `mysqlslap exited ${r.exitCode ?? r.signal}`;
        res.slap[t] = parsed ? { ok: parsed } : na(`${failed}: ${lastLine(String(r.all ?? ""))}`);
        ctx.log(`  mariadb ${t}: initialised in ${(res.init[t] as { ok: number }).ok.toFixed(1)} s; ${describeSlap(res.slap[t])}`);
      } finally {
        await s.kill();
      }
    }
  } finally {
    await rm(base, { recursive: true, force: true });
  }
  return res;
}

export function describeSlap(c: Cell<SlapResult>): string {
  if ("na" in c) return `n/a (${c.na})`;
  return `mysqlslap ${c.ok.queries} queries at ${c.ok.clients} clients in ${c.ok.seconds.toFixed(2)} s (${(c.ok.queries / c.ok.seconds).toFixed(0)} queries/s)`;
}

/** The phase's rows for the results table (host column: not run, the phase is VMs only). */
export function mariadbRows(r: MariadbResults, targets: readonly TargetName[], row: (cells: string[]) => string, naText: (s: string) => string): string[] {
  const ref = r.init["linux-microvm"];
  const initCell = (c: Cell<number> | undefined, vsMicrovm: boolean): string => {
    if (c === undefined) return "not run";
    if ("na" in c) return naText(c.na);
    const ratio = vsMicrovm && ref && "ok" in ref && ref.ok > 0 ? ` ×${(c.ok / ref.ok).toFixed(2)} of microVM` : "";
    return `${c.ok.toFixed(1)} s${ratio}`;
  };
  const slapRef = r.slap["linux-microvm"];
  const slapCell = (c: Cell<SlapResult> | undefined, vsMicrovm: boolean): string => {
    if (c === undefined) return "not run";
    if ("na" in c) return naText(c.na);
    const qps = c.ok.queries / c.ok.seconds;
    const ratio = vsMicrovm && slapRef && "ok" in slapRef && slapRef.ok.seconds > 0 ? ` ×${(qps / (slapRef.ok.queries / slapRef.ok.seconds)).toFixed(2)} of microVM` : "";
    return `${qps.toFixed(0)} queries/s (${c.ok.seconds.toFixed(2)} s)${ratio}`;
  };
  return [
    row(["MariaDB (Debian's, apps/mariadb): launch → first SELECT 1 answered, empty volume (initialisation)", ...targets.map((t) => (t === "host" ? "—" : initCell(r.init[t], t === "uninode")))]),
    row([
      `MariaDB: mysqlslap mixed read-write, ${r.plan.clients} clients, ${r.plan.queries} queries, InnoDB, QEMU user network`,
      ...targets.map((t) => (t === "host" ? "—" : slapCell(r.slap[t], t === "uninode"))),
    ]),
  ];
}
