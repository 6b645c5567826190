// The CLI's end of the VM's serial ports: one listening unix socket per UART in a private
// directory; QEMU's chardevs connect to them at startup. Sockets keep stdout binary-safe (no
// terminal processing in between) and let stdin reach COM1.

import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { SERIAL_PORTS, type SerialPort } from "./qemu-args.js";

/** sockaddr_un.sun_path holds 108 bytes; leave room for "/com1.sock" and the random suffix. */
const MAX_DIR_LENGTH = 80;

export interface SerialEndpoint {
  path: string;
  server: net.Server;
  /** Resolves with QEMU's connection. */
  connected: Promise<net.Socket>;
}

export interface SerialSet {
  dir: string;
  ports: Record<SerialPort, SerialEndpoint>;
  close(): Promise<void>;
}

/** Listens on com1.sock, com2.sock, com3.sock in a fresh 0700 directory. */
export async function openSerialSockets(): Promise<SerialSet> {
  const base = os.tmpdir().length <= MAX_DIR_LENGTH ? os.tmpdir() : "/tmp";
  const dir = await mkdtemp(path.join(base, "uninode-vm-"));
  const ports = {} as Record<SerialPort, SerialEndpoint>;
  try {
    for (const port of SERIAL_PORTS) ports[port] = await listen(path.join(dir, `${port}.sock`));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    ports,
    async close() {
      for (const p of Object.values(ports)) p.server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function listen(socketPath: string): Promise<SerialEndpoint> {
  return new Promise((resolve, reject) => {
    let accept: (s: net.Socket) => void = () => undefined;
    const connected = new Promise<net.Socket>((r) => (accept = r));
    const server = net.createServer({ pauseOnConnect: true }, (sock) => {
      // One VM, one connection per port: refuse anything after QEMU's.
      server.close();
      accept(sock);
    });
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve({ path: socketPath, server, connected });
    });
  });
}

/** Resolves when the socket has been fully read (QEMU closed it) or after `ms`, whichever is first. */
export function drained(sock: net.Socket, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (sock.destroyed || sock.readableEnded) return resolve();
    const t = setTimeout(done, ms);
    sock.once("close", done);
    sock.once("end", done);
    function done() {
      clearTimeout(t);
      resolve();
    }
  });
}
