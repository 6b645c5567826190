// Digests and HMACs over fixed input.
const crypto = require('crypto');
for (const alg of ['md5', 'sha1', 'sha256', 'sha384', 'sha512', 'sha3-256']) console.log(alg, crypto.createHash(alg).update('uninode').digest('hex'));
console.log('hmac', crypto.createHmac('sha256', 'key').update('data').digest('base64'));
console.log('hash of 10 MiB', crypto.createHash('sha256').update(Buffer.alloc(10 << 20, 0x5a)).digest('hex'));
