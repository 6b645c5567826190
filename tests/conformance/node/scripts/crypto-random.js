// randomBytes, randomUUID, randomInt, getRandomValues: shapes and ranges (values differ per run).
const crypto = require('crypto');
console.log(crypto.randomBytes(32).length, crypto.randomBytes(32).equals(crypto.randomBytes(32)));
console.log(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()));
const ints = Array.from({ length: 1000 }, () => crypto.randomInt(10, 20));
console.log(Math.min(...ints) >= 10, Math.max(...ints) < 20, new Set(ints).size > 5);
const a = new Uint32Array(16); crypto.getRandomValues(a); console.log(a.some(x => x !== 0));
crypto.randomBytes(64, (e, b) => console.log('async', e, b.length));
