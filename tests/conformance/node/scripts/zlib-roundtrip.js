// gzip, deflate and brotli, sync and async, on compressible and random-looking data.
const zlib = require('zlib'), crypto = require('crypto');
const text = Buffer.from('uninode '.repeat(100000));
const noise = Buffer.from(Array.from({ length: 200000 }, (_, i) => (i * 7919 + (i >> 3)) & 255));
for (const [name, c, d] of [['gzip', zlib.gzipSync, zlib.gunzipSync], ['deflate', zlib.deflateSync, zlib.inflateSync], ['brotli', zlib.brotliCompressSync, zlib.brotliDecompressSync]]) {
  for (const data of [text, noise]) {
    const z = c(data);
    console.log(name, data.length, 'ok', d(z).equals(data), 'smaller', z.length < data.length);
  }
}
zlib.gzip(text, (e, z) => zlib.gunzip(z, (e2, back) => console.log('async', !e && !e2 && back.equals(text), crypto.createHash('md5').update(back).digest('hex'))));
