// Loaded with NODE_OPTIONS=--require=/app/bench-probe.cjs into an unmodified app: ends the
// process once it listens (BENCH_PROBE=listen) or once it has answered N requests
// (BENCH_PROBE=N). The deterministic figures count guest instructions from reset to that exit.
"use strict";
const net = require("net");
const http = require("http");

const want = process.env.BENCH_PROBE;
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (want === "listen") {
    this.once("listening", () => setImmediate(() => process.exit(0)));
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
