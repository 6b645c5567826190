// Runs on the host side of the tap, inside the test's network namespace: asks the image
// everything server.js answers and prints what came back as one JSON line.
"use strict";
const http = require("http");
const dgram = require("dgram");
const crypto = require("crypto");
const { pattern } = require("./pattern.cjs");

const guest = process.argv[2];
const sha = (b) => crypto.createHash("sha256").update(b).digest("hex");

function request(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: guest, port: 3000, method, path, timeout: 120000 }, (res) => {
      const parts = [];
      res.on("data", (c) => parts.push(c));
      res.on("end", () => resolve(Buffer.concat(parts)));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function udpEcho(text) {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket("udp4");
    const timer = setTimeout(() => { s.close(); reject(new Error("no UDP answer in 30 s")); }, 30000);
    s.on("message", (m) => { clearTimeout(timer); s.close(); resolve(m.toString()); });
    s.send(text, 4000, guest);
  });
}

(async () => {
  const upload = pattern(5 << 20).reverse();
  const out = {
    root: (await request("GET", "/")).toString(),
    big: sha(await request("GET", "/big")),
    upload: (await request("POST", "/upload", upload)).toString(),
    uploadWant: `${upload.length} ${sha(upload)}`,
    self: (await request("GET", "/self")).toString(),
    udp: await udpEcho("x".repeat(1200)),
  };
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.log(JSON.stringify({ error: String(e) }));
  process.exit(1);
});
