// Before QEMU starts: is each published host port free? QEMU's own complaint ("Could not set up
// host forwarding rule") names neither the port nor the fix, so ask the OS first.

import net from "node:net";
import { UninodeError } from "../errors.js";
import type { PortForward } from "./qemu-args.js";

export class PortInUseError extends UninodeError {}

/** Resolves when every TCP host port can be bound; throws one sentence for the first that cannot. */
export async function checkHostPorts(forwards: readonly PortForward[]): Promise<void> {
  for (const f of forwards) {
    if (f.proto !== "tcp") continue;
    const problem = await tryListen(f.hostAddress, f.hostPort);
    if (problem === "EADDRINUSE") {
      throw new PortInUseError(
        "PORT_IN_USE",
        `Port ${f.hostPort} on ${f.hostAddress} is already in use; stop what is using it, or publish another host port with -p OTHER:${f.guestPort}.`,
      );
    }
    if (problem === "EACCES") {
      throw new PortInUseError("PORT_DENIED", `Port ${f.hostPort} needs privileges to listen on; publish a port above 1023 with -p 8080:${f.guestPort}.`);
    }
    if (problem === "EADDRNOTAVAIL") {
      throw new PortInUseError("PORT_BAD_ADDRESS", `${f.hostAddress} is not an address of this machine; publish on 127.0.0.1 or 0.0.0.0.`);
    }
  }
}

function tryListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}
