// AES-256-GCM and ChaCha20-Poly1305 round trips with fixed keys; ed25519 sign/verify.
const crypto = require('crypto');
const key = Buffer.alloc(32, 1), iv = Buffer.alloc(12, 2);
const c = crypto.createCipheriv('aes-256-gcm', key, iv);
const enc = Buffer.concat([c.update('secret message'), c.final()]), tag = c.getAuthTag();
console.log('aes-gcm', enc.toString('hex'), tag.toString('hex'));
const d = crypto.createDecipheriv('aes-256-gcm', key, iv); d.setAuthTag(tag);
console.log(Buffer.concat([d.update(enc), d.final()]).toString());
const cc = crypto.createCipheriv('chacha20-poly1305', key, iv, { authTagLength: 16 });
console.log('chacha', Buffer.concat([cc.update('x'), cc.final()]).toString('hex'), cc.getAuthTag().toString('hex'));
const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
const sig = crypto.sign(null, Buffer.from('msg'), privateKey);
console.log('ed25519', sig.length, crypto.verify(null, Buffer.from('msg'), publicKey, sig), crypto.verify(null, Buffer.from('msh'), publicKey, sig));
