// A minimal QMP client: QEMU's JSON control protocol on a unix socket. One line of JSON per
// message: a greeting, then a reply for each command ({"return": ...} or {"error": ...}); events
// ({"event": ...}) may arrive in between and are skipped.

import net from "node:net";

export class QmpClient {
  private buffer = "";
  private waiting: ((msg: Record<string, unknown>) => void)[] = [];
  private queue: Record<string, unknown>[] = [];
  private closed = false;

  private constructor(private readonly sock: net.Socket) {
    sock.setEncoding("utf8");
    sock.on("data", (chunk: string) => {
      this.buffer += chunk;
      let nl;
      while ((nl = this.buffer.indexOf("\n")) !== -1) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (line === "") continue;
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        if ("event" in msg) continue;
        const w = this.waiting.shift();
        if (w) w(msg);
        else this.queue.push(msg);
      }
    });
    const end = () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w({ error: { desc: "QMP connection closed" } });
    };
    sock.on("close", end);
    sock.on("error", end);
  }

  /** Connects, reads the greeting and leaves capabilities negotiation mode. */
  static async connect(socketPath: string, timeoutMs = 3000): Promise<QmpClient> {
    const sock = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(socketPath);
      const t = setTimeout(() => {
        s.destroy();
        reject(new Error(`no answer on ${socketPath}`));
      }, timeoutMs);
      s.once("connect", () => {
        clearTimeout(t);
        resolve(s);
      });
      s.once("error", (err) => {
        clearTimeout(t);
        reject(err);
      });
    });
    const c = new QmpClient(sock);
    const greeting = await c.next(timeoutMs);
    if (!("QMP" in greeting)) {
      c.close();
      throw new Error("the socket does not speak QMP");
    }
    await c.execute("qmp_capabilities", timeoutMs);
    return c;
  }

  private next(timeoutMs: number): Promise<Record<string, unknown>> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closed) return Promise.resolve({ error: { desc: "QMP connection closed" } });
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiting = this.waiting.filter((w) => w !== done);
        resolve({ error: { desc: "QMP timed out" } });
      }, timeoutMs);
      const done = (msg: Record<string, unknown>) => {
        clearTimeout(t);
        resolve(msg);
      };
      this.waiting.push(done);
    });
  }

  /** Sends one command; resolves with its reply (`quit` may instead end with the connection closing). */
  async execute(command: string, timeoutMs = 3000): Promise<Record<string, unknown>> {
    if (this.closed) return { error: { desc: "QMP connection closed" } };
    this.sock.write(JSON.stringify({ execute: command }) + "\n");
    return this.next(timeoutMs);
  }

  close(): void {
    this.sock.destroy();
  }
}
