// Loaded with NODE_OPTIONS=--require=/app/bench-probe.cjs into an unmodified app: ends the
// process once it listens (BENCH_PROBE=listen) or once it has answered N requests
// (BENCH_PROBE=N). The deterministic figures count guest instructions from reset to that exit.
// At listen it also prints the guest kernel's own account of its memory (/proc/meminfo).
//
// BENCH_PROBE=serve never ends the app: it answers GET /__bench/meminfo itself, before the
// app's handler sees the request, so the load run can read the guest's memory before and after
// wrk while the app stays exactly as shipped. Full collections run first, so the figure is
// what the app still holds rather than garbage V8 has not yet got round to.
"use strict";
const fs = require("fs");
const net = require("net");
const http = require("http");

function readMeminfo() {
  const text = fs.readFileSync("/proc/meminfo", "utf8");
  const kb = (name) => Number((new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(text) || [])[1]);
  return { total: kb("MemTotal"), free: kb("MemFree"), available: kb("MemAvailable"), rss: process.memoryUsage().rss >> 10 };
}

function meminfo() {
  try {
    const m = readMeminfo();
    return `bench-probe meminfo total=${m.total} free=${m.free} available=${m.available} rss=${m.rss}\n`;
  } catch (err) {
    return `bench-probe meminfo unavailable: ${err.code || err.message}\n`;
  }
}

const want = process.env.BENCH_PROBE;

if (want === "serve") {
  // --expose-gc set at run time only reaches contexts made after it; a fresh one hands us gc.
  require("v8").setFlagsFromString("--expose-gc");
  const gc = require("vm").runInNewContext("gc");
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (event, req, res) {
    if (event !== "request" || req.url !== "/__bench/meminfo") return emit.apply(this, arguments);
    const answer = (status, body) => {
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    };
    try {
      gc();
    } catch (err) {
      answer(500, JSON.stringify({ error: String(err.code || err.message) }));
      return true;
    }
    // V8 hands freed pages back from background threads after a collection, and sockets wrk just
    // closed are still being torn down: a second collection a second later reads a settled figure.
    setTimeout(() => {
      try {
        gc();
        const m = readMeminfo();
        answer(200, JSON.stringify({ ...m, heapUsed: process.memoryUsage().heapUsed >> 10, unit: "KiB" }));
      } catch (err) {
        answer(500, JSON.stringify({ error: String(err.code || err.message) }));
      }
    }, 1000);
    return true;
  };
}

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
