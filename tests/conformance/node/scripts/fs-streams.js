// A 1 MiB stream through a transform into a file, read back and hashed.
const fs = require('fs'), { pipeline, Transform, Readable } = require('stream'), crypto = require('crypto');
const chunks = Array.from({ length: 256 }, (_, i) => Buffer.alloc(4096, i));
const upper = new Transform({ transform(c, _e, cb) { cb(null, Buffer.from(c.map(b => (b + 1) & 255))); } });
pipeline(Readable.from(chunks), upper, fs.createWriteStream('/tmp/stream.bin'), err => {
  if (err) throw err;
  const h = crypto.createHash('sha256');
  let n = 0;
  fs.createReadStream('/tmp/stream.bin', { highWaterMark: 10000 })
    .on('data', c => { h.update(c); n++; })
    .on('end', () => console.log('bytes', fs.statSync('/tmp/stream.bin').size, 'chunks', n, h.digest('hex')));
});
