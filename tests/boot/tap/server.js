// Runs in the image on a tap (tests/boot/net-tap.test.ts): every path through the offloading NIC.
"use strict";
const http = require("http");
const dgram = require("dgram");
const crypto = require("crypto");
const { pattern } = require("./pattern.cjs");

const SELF = process.env.SELF_ADDR;
const big = pattern(5 << 20);

http
  .createServer((req, res) => {
    if (req.url === "/") return res.end("hello over tap\n");
    if (req.url === "/big") return res.end(big);            // guest -> host: sums left to the device
    if (req.url === "/upload") {                             // host -> guest: sums the device vouched for, or left partial
      const h = crypto.createHash("sha256");
      let n = 0;
      req.on("data", (c) => { h.update(c); n += c.length; });
      return req.on("end", () => res.end(`${n} ${h.digest("hex")}`));
    }
    if (req.url === "/self") {                               // to our own address: looped back, never summed
      return http.get(`http://${SELF}:3000/big`, (r) => {
        const h = crypto.createHash("sha256");
        r.on("data", (c) => h.update(c));
        r.on("end", () => res.end(h.digest("hex")));
      }).on("error", (e) => res.end(`error ${e.code}`));
    }
    res.statusCode = 404;
    res.end();
  })
  .listen(3000, () => console.log("listening"));

const udp = dgram.createSocket("udp4");
udp.on("message", (m, from) => udp.send(Buffer.concat([Buffer.from("echo:"), m]), from.port, from.address));
udp.bind(4000);
