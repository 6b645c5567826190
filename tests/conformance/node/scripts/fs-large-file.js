// A 50 MiB file in /tmp written in pieces, read back with positioned reads, hashed.
const fs = require('fs'), crypto = require('crypto');
const fd = fs.openSync('/tmp/large.bin', 'w');
const block = Buffer.alloc(1 << 20);
for (let i = 0; i < 50; i++) { block.fill(i); fs.writeSync(fd, block); }
fs.closeSync(fd);
const r = fs.openSync('/tmp/large.bin', 'r');
const h = crypto.createHash('sha256'), buf = Buffer.alloc(1 << 20);
let pos = 0, n;
while ((n = fs.readSync(r, buf, 0, buf.length, pos)) > 0) { h.update(buf.subarray(0, n)); pos += n; }
fs.closeSync(r);
console.log(pos, h.digest('hex'));
fs.unlinkSync('/tmp/large.bin');
