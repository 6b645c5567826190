// The kernel channel (COM3): log lines, --trace output, fault reports, and a final record that
// says how the program ended. This file parses it and maps the record to our exit status, as
// CONTRACT.md says: N for exit, 128+N for a signal, 70 for a panic or a missing record.

import { StringDecoder } from "node:string_decoder";

export type ExitRecord =
  | { kind: "exit"; code: number }
  | { kind: "signal"; signal: number }
  | { kind: "panic"; message: string };

/** EX_SOFTWARE from sysexits.h: the kernel (our software) failed. */
export const EXIT_PANIC = 70;
export const EXIT_NO_RECORD = 70;
export const EXIT_TIMEOUT = 124;
export const EXIT_INTERRUPTED = 130;

const RECORD = /^uninode:(exit|signal|panic)(?: (.*))?$/;

/** The record on one COM3 line, or undefined when the line is ordinary log output. */
export function parseRecord(line: string): ExitRecord | undefined {
  const m = RECORD.exec(line.replace(/\r$/, ""));
  if (!m) return undefined;
  const arg = (m[2] ?? "").trim();
  if (m[1] === "panic") return { kind: "panic", message: arg };
  if (!/^\d+$/.test(arg)) return undefined;
  const n = Number(arg);
  if (m[1] === "exit") return n <= 255 ? { kind: "exit", code: n } : undefined;
  return n >= 1 && n <= 127 ? { kind: "signal", signal: n } : undefined;
}

export function exitStatusOf(record: ExitRecord): number {
  switch (record.kind) {
    case "exit":
      return record.code;
    case "signal":
      return 128 + record.signal;
    case "panic":
      return EXIT_PANIC;
  }
}

/** How QEMU's isa-debug-exit status encodes the record kind: (v << 1) | 1. */
export function debugExitCode(kind: ExitRecord["kind"]): number {
  const v = kind === "exit" ? 0 : kind === "signal" ? 1 : 2;
  return (v << 1) | 1;
}

const SIGNAL_NAMES: Record<number, string> = {
  1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
  8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE",
  14: "SIGALRM", 15: "SIGTERM", 31: "SIGSYS",
};

export function signalName(n: number): string {
  return SIGNAL_NAMES[n] ?? `signal ${n}`;
}

/**
 * Splits a byte stream into lines and remembers the last record. Every line is handed to
 * `onLine`; a bounded tail is kept so a fault report can be shown even when logs were hidden.
 */
export class KernelChannel {
  private partial = "";
  private readonly decoder = new StringDecoder("utf8");
  private readonly tail: string[] = [];
  record: ExitRecord | undefined;
  bytesSeen = 0;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly tailLines = 200,
  ) {}

  push(chunk: Buffer): void {
    this.bytesSeen += chunk.length;
    const text = this.partial + this.decoder.write(chunk);
    const lines = text.split("\n");
    this.partial = lines.pop() ?? "";
    for (const l of lines) this.line(l.replace(/\r$/, ""));
  }

  /** Flushes a last line without a newline (QEMU exited mid-line). */
  end(): void {
    this.partial += this.decoder.end();
    if (this.partial !== "") this.line(this.partial.replace(/\r$/, ""));
    this.partial = "";
  }

  /** The most recent kernel lines (records excluded), oldest first. */
  recentLines(): string[] {
    return [...this.tail];
  }

  private line(l: string): void {
    const rec = parseRecord(l);
    if (rec) this.record = rec;
    else {
      this.tail.push(l);
      if (this.tail.length > this.tailLines) this.tail.shift();
    }
    this.onLine(l);
  }
}
