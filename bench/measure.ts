// The bench's measuring tools: summary statistics, waiting for a quiet machine, HTTP polling
// for the first 200, and wrk's output. Every wait here is bounded in time.

import { readFile } from "node:fs/promises";
import http from "node:http";
import { performance } from "node:perf_hooks";

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

export function summarize(samples: readonly number[]): Summary | undefined {
  if (samples.length === 0) return undefined;
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { n: s.length, median, min: s[0] as number, max: s[s.length - 1] as number };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The machine's load as the bench saw it before a phase. */
export interface LoadSeen {
  /** /proc/loadavg's 1-minute figure. */
  load1: number;
  /** Share of CPU time busy over the last sample, 0..1. */
  busy: number;
  /** How long the bench waited for it to drop. */
  waitedMs: number;
  quiet: boolean;
}

async function cpuTimes(): Promise<{ idle: number; total: number }> {
  const line = (await readFile("/proc/stat", "utf8")).split("\n")[0] ?? "";
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { idle, total: v.reduce((a, b) => a + b, 0) };
}

export async function sampleBusy(ms: number): Promise<number> {
  const a = await cpuTimes();
  await sleep(ms);
  const b = await cpuTimes();
  const total = b.total - a.total;
  return total > 0 ? 1 - (b.idle - a.idle) / total : 0;
}

export async function loadavg1(): Promise<number> {
  return Number((await readFile("/proc/loadavg", "utf8")).split(" ")[0]);
}

/**
 * Waits (at most `maxWaitMs`) until the CPUs have been mostly idle for one second — below
 * `busyBelow` — and reports what it saw. The bench goes on either way: a shared machine may
 * never be quiet, and the table says so.
 */
export async function waitQuiet(maxWaitMs: number, busyBelow = 0.25): Promise<LoadSeen> {
  const start = performance.now();
  for (;;) {
    const busy = await sampleBusy(1000);
    const waitedMs = performance.now() - start;
    if (busy < busyBelow || waitedMs >= maxWaitMs) {
      return { load1: await loadavg1(), busy, waitedMs, quiet: busy < busyBelow };
    }
  }
}

/** One GET; resolves with the status code, or undefined when the connection failed. */
export function httpGet(url: string, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
      res.on("error", () => resolve(undefined));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
  });
}

/** One GET; resolves with the status and body, or undefined when the connection failed. */
export function httpGetText(url: string, timeoutMs: number): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", () => resolve(undefined));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
  });
}

/**
 * Polls `url` every `intervalMs` until it answers 200 (resolves with the time it did), the
 * `gone` promise settles first (the server ended: resolves undefined), or `deadlineMs` passes.
 */
export async function firstOk(url: string, gone: Promise<unknown>, deadlineMs: number, intervalMs = 10): Promise<number | undefined> {
  let ended = false;
  void gone.then(
    () => (ended = true),
    () => (ended = true),
  );
  const deadline = performance.now() + deadlineMs;
  while (!ended && performance.now() < deadline) {
    const status = await httpGet(url, 2000);
    if (status === 200) return performance.now();
    await sleep(intervalMs);
  }
  return undefined;
}

/**
 * Sends sequential GETs over one keep-alive connection until the server ends (`gone` settles),
 * at most `max` of them or until `deadlineMs`; a failed request is retried, not fatal. Resolves
 * with how many got 200.
 */
export async function requestsUntilGone(url: string, gone: Promise<unknown>, max: number, deadlineMs: number): Promise<number> {
  let ended = false;
  void gone.then(
    () => (ended = true),
    () => (ended = true),
  );
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const deadline = performance.now() + deadlineMs;
  let ok = 0;
  try {
    for (let i = 0; i < max && !ended && performance.now() < deadline; i++) {
      const status = await new Promise<number | undefined>((resolve) => {
        const req = http.get(url, { agent, timeout: 10_000 }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode));
          res.on("error", () => resolve(undefined));
        });
        req.on("timeout", () => req.destroy());
        req.on("error", () => resolve(undefined));
      });
      if (status === 200) ok++;
    }
  } finally {
    agent.destroy();
  }
  return ok;
}

/** Sends `count` sequential GETs over one keep-alive connection; resolves with how many got 200. */
export async function sequentialRequests(url: string, count: number, deadlineMs: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const deadline = performance.now() + deadlineMs;
  let ok = 0;
  try {
    for (let i = 0; i < count && performance.now() < deadline; i++) {
      const status = await new Promise<number | undefined>((resolve) => {
        const req = http.get(url, { agent, timeout: 10_000 }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode));
        });
        req.on("timeout", () => req.destroy());
        req.on("error", () => resolve(undefined));
      });
      if (status === 200) ok++;
      else break;
    }
  } finally {
    agent.destroy();
  }
  return ok;
}

export interface WrkSocketErrors {
  connect: number;
  read: number;
  write: number;
  timeout: number;
}

export interface WrkResult {
  requestsPerSec: number;
  /** Latency percentiles in milliseconds. */
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Socket errors plus non-2xx/3xx responses. */
  errors: number;
  /** wrk's "Socket errors" line (all zero when it printed none). */
  socket: WrkSocketErrors;
  /** wrk's "Non-2xx or 3xx responses" (wrk counts statuses above 399). */
  non2xx: number;
}

export const socketErrorTotal = (s: WrkSocketErrors): number => s.connect + s.read + s.write + s.timeout;

/** wrk's duration syntax: 12.34us, 1.5ms, 2.00s, 1.2m. */
export function parseWrkDuration(s: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(s.trim());
  if (!m) throw new Error(`not a wrk duration: ${s}`);
  const v = Number(m[1]);
  const unit = m[2];
  return unit === "us" ? v / 1000 : unit === "ms" ? v : unit === "s" ? v * 1000 : unit === "m" ? v * 60_000 : v * 3_600_000;
}

/** Reads `wrk --latency` output. */
export function parseWrk(out: string): WrkResult {
  const rps = /Requests\/sec:\s*([\d.]+)/.exec(out);
  const p50 = /^\s*50%\s+(\S+)/m.exec(out);
  const p99 = /^\s*99%\s+(\S+)/m.exec(out);
  const total = /(\d+) requests in/.exec(out);
  if (!rps || !p50 || !p99 || !total) throw new Error(`wrk printed no latency distribution:\n${out.slice(0, 500)}`);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socket: WrkSocketErrors = sock
    ? { connect: Number(sock[1]), read: Number(sock[2]), write: Number(sock[3]), timeout: Number(sock[4]) }
    : { connect: 0, read: 0, write: 0, timeout: 0 };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return {
    requestsPerSec: Number(rps[1]),
    p50Ms: parseWrkDuration(p50[1] as string),
    p99Ms: parseWrkDuration(p99[1] as string),
    requests: Number(total[1]),
    errors: socketErrorTotal(socket) + non2xx,
    socket,
    non2xx,
  };
}

/** Counts 4 KiB pages that are not all zero in a guest memory dump: memory the guest has touched. */
export function nonZeroPages(buf: Buffer, page = 4096): number {
  const zero = Buffer.alloc(page);
  let n = 0;
  for (let off = 0; off < buf.length; off += page) {
    const part = buf.subarray(off, Math.min(buf.length, off + page));
    if (!part.equals(zero.subarray(0, part.length))) n++;
  }
  return n;
}
