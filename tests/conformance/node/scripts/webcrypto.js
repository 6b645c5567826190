// WebCrypto: digest, HMAC sign/verify, AES-GCM with an imported key, ECDSA key generation.
const { subtle } = globalThis.crypto;
(async () => {
  const hex = b => Buffer.from(b).toString('hex');
  console.log('digest', hex(await subtle.digest('SHA-256', new TextEncoder().encode('abc'))));
  const hk = await subtle.importKey('raw', new Uint8Array(32).fill(7), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  const sig = await subtle.sign('HMAC', hk, new TextEncoder().encode('data'));
  console.log('hmac', hex(sig), await subtle.verify('HMAC', hk, sig, new TextEncoder().encode('data')));
  const ak = await subtle.importKey('raw', new Uint8Array(16).fill(3), 'AES-GCM', false, ['encrypt', 'decrypt']);
  const ct = await subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, ak, new TextEncoder().encode('hello'));
  console.log('aes', hex(ct), new TextDecoder().decode(await subtle.decrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, ak, ct)));
  const kp = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const s = await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, kp.privateKey, new Uint8Array([1, 2, 3]));
  console.log('ecdsa', await subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, kp.publicKey, s, new Uint8Array([1, 2, 3])));
})();
