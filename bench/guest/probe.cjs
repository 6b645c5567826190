// Loaded with NODE_OPTIONS=--require=/app/bench-probe.cjs into an unmodified app: ends the
// process once it listens (BENCH_PROBE=listen) or once it has answered N requests
// (BENCH_PROBE=N). The deterministic figures count guest instructions from reset to that exit.
// At listen it also prints the guest kernel's own account of its memory (/proc/meminfo).
"use strict";
const fs = require("fs");
const net = require("net");
const http = require("http");

function meminfo() {
  try {
    const text = fs.readFileSync("/proc/meminfo", "utf8");
    const kb = (name) => Number((new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(text) || [])[1]);
    return `bench-probe meminfo total=${kb("MemTotal")} free=${kb("MemFree")} available=${kb("MemAvailable")} rss=${process.memoryUsage().rss >> 10}\n`;
  } catch (err) {
    return `bench-probe meminfo unavailable: ${err.code || err.message}\n`;
  }
}

const want = process.env.BENCH_PROBE;
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (want === "listen") {
    this.once("listening", () =>
      setImmediate(() => {
        fs.writeSync(1, meminfo());
        process.exit(0);
      }),
    );
  } else if (this instanceof http.Server && Number(want) > 0) {
    let served = 0;
    this.on("request", (req, res) => {
      res.on("finish", () => {
        if (++served === Number(want)) setImmediate(() => process.exit(0));
      });
    });
  }
  return listen.apply(this, args);
};
