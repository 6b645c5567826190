// The uninode example app: plain Express 4, nothing uninode-specific.
//   GET  /          "Hello from uninode"
//   GET  /download  1 MiB of deterministic bytes (byte i is i*31 mod 251), for transfer tests
//   POST /echo      the request body back, as sent

const express = require("express");

const PORT = Number(process.env.PORT) || 3000;
const MIB = 1024 * 1024;
const download = Buffer.alloc(MIB);
for (let i = 0; i < MIB; i++) download[i] = (i * 31) % 251;

const app = express();

app.get("/", (req, res) => {
  res.type("text/plain").send("Hello from uninode\n");
});

app.get("/download", (req, res) => {
  res.type("application/octet-stream").send(download);
});

app.post("/echo", express.raw({ type: () => true, limit: "16mb" }), (req, res) => {
  res.type(req.get("content-type") || "application/octet-stream").send(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
});

const server = app.listen(PORT, () => {
  console.log(`express-hello listening on port ${PORT}`);
});
server.on("error", (err) => {
  console.error(`express-hello cannot listen on port ${PORT}: ${err.code || err.message}`);
  process.exit(1);
});

// Stop cleanly when asked (uninode stop sends an ACPI power-off; the kernel turns it into SIGTERM).
process.on("SIGTERM", () => server.close(() => process.exit(0)));
