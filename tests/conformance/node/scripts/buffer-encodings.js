// Buffer conversions: utf8 (incl. astral), base64, base64url, hex, latin1, utf16le.
const s = 'héllo wörld 🚀 日本';
const b = Buffer.from(s);
console.log(b.length, b.toString('base64'), b.toString('base64url'), b.toString('hex').slice(0, 20));
console.log(Buffer.from(b.toString('base64'), 'base64').toString() === s, Buffer.from(s, 'utf16le').length, Buffer.from('ÿ', 'latin1')[0]);
console.log(Buffer.concat([Buffer.from([1, 2]), Buffer.alloc(2, 9)]).toJSON().data.join(','));
console.log(Buffer.compare(Buffer.from('a'), Buffer.from('b')), b.indexOf('🚀'), b.readUInt32BE(0).toString(16));
console.log(new TextDecoder().decode(new TextEncoder().encode(s)) === s, btoa('abc'), atob('YWJj'));
