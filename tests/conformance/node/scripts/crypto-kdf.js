// scrypt, pbkdf2 and hkdf on the libuv threadpool (printed in a fixed order
// once all are done: completion order is the pool's business), and a sync form.
const crypto = require('crypto');
const p = (f, ...a) => new Promise((res, rej) => f(...a, (e, k) => (e ? rej(e) : res(Buffer.from(k).toString('hex')))));
Promise.all([
  p(crypto.scrypt, 'password', 'salt', 32),
  p(crypto.pbkdf2, 'password', 'salt', 10000, 32, 'sha256'),
  p(crypto.scrypt, 'other', 'salt', 16, { N: 1024 }),
  p(crypto.hkdf, 'sha256', 'key', 'salt', 'info', 32),
]).then(r => console.log(r.join('\n')));
console.log('sync', crypto.scryptSync('a', 'b', 8).toString('hex'));
