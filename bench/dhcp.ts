// A DHCP server for one client, run by the bench inside its tap namespace: uninode takes its
// address by DHCP (as from QEMU's user network), and a tap has no QEMU to answer. It offers
// the one guest address, answers on the namespace's own subnet broadcast, never forwards
// anything, and exits by itself after --seconds.
//
//   ip netns exec NS node dhcp.js --server 10.77.0.1 --client 10.77.0.2 --prefix 24 --seconds 900

import dgram from "node:dgram";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface DhcpConfig {
  server: string;
  client: string;
  prefix: number;
}

const MAGIC = 0x63825363;

function ipBytes(ip: string): number[] {
  return ip.split(".").map(Number);
}

export function maskOf(prefix: number): string {
  const m = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 255).join(".");
}

export function broadcastOf(ip: string, prefix: number): string {
  const b = ipBytes(ip);
  const m = ipBytes(maskOf(prefix));
  return b.map((x, i) => (x & m[i]!) | (~m[i]! & 255)).join(".");
}

/** The DHCP message type (option 53) of a request, or undefined when it is not a BOOTREQUEST. */
export function requestType(msg: Buffer): number | undefined {
  if (msg.length < 240 || msg[0] !== 1 || msg.readUInt32BE(236) !== MAGIC) return undefined;
  for (let i = 240; i < msg.length; ) {
    const code = msg[i]!;
    if (code === 255) break;
    if (code === 0) {
      i++;
      continue;
    }
    const len = msg[i + 1] ?? 0;
    if (code === 53) return msg[i + 2];
    i += 2 + len;
  }
  return undefined;
}

/** An OFFER (for DISCOVER, 1) or ACK (for REQUEST, 3) answering `req`. */
export function reply(req: Buffer, type: 2 | 5, c: DhcpConfig): Buffer {
  const out = Buffer.alloc(240);
  out[0] = 2; // BOOTREPLY
  out[1] = 1; // Ethernet
  out[2] = 6;
  req.copy(out, 4, 4, 8); // xid
  req.copy(out, 10, 10, 12); // flags
  Buffer.from(ipBytes(c.client)).copy(out, 16); // yiaddr
  Buffer.from(ipBytes(c.server)).copy(out, 20); // siaddr
  req.copy(out, 28, 28, 44); // chaddr
  out.writeUInt32BE(MAGIC, 236);
  const opt = (code: number, bytes: number[]) => Buffer.from([code, bytes.length, ...bytes]);
  const lease = [0, 0, 0x0e, 0x10]; // 3600 s
  return Buffer.concat([
    out,
    opt(53, [type]),
    opt(54, ipBytes(c.server)),
    opt(51, lease),
    opt(1, ipBytes(maskOf(c.prefix))),
    opt(3, ipBytes(c.server)),
    Buffer.from([255]),
  ]);
}

export function serve(c: DhcpConfig, seconds: number): void {
  const sock = dgram.createSocket({ type: "udp4", reuseAddr: true });
  const to = broadcastOf(c.client, c.prefix);
  sock.on("message", (msg) => {
    const t = requestType(msg);
    if (t === 1 || t === 3) sock.send(reply(msg, t === 1 ? 2 : 5, c), 68, to);
  });
  sock.bind(67, () => sock.setBroadcast(true));
  setTimeout(() => process.exit(0), seconds * 1000).unref();
  // Keep running until the timer (the socket holds the loop open).
}

const invoked = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]);
if (invoked) {
  const arg = (name: string, dflt: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
  };
  serve({ server: arg("server", "10.77.0.1"), client: arg("client", "10.77.0.2"), prefix: Number(arg("prefix", "24")) }, Number(arg("seconds", "900")));
}
