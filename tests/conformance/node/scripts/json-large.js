// JSON round trip of a ~5 MB structure; the text's hash is stable.
const crypto = require('crypto');
const data = Array.from({ length: 50000 }, (_, i) => ({ id: i, name: `item-${i}`, tags: ['a', 'b', String(i % 7)], v: i / 3 }));
const text = JSON.stringify(data);
console.log(text.length, crypto.createHash('sha1').update(text).digest('hex'));
const back = JSON.parse(text);
console.log(back.length, back[49999].name, back[12345].v);
console.log(JSON.stringify(structuredClone({ d: new Date(0), m: new Map([[1, 2]]) }), (k, v) => v instanceof Map ? [...v] : v));
