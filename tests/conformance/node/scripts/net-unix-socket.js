// Unix domain sockets: an http server on a socket file and a request through
// socketPath, a net server with 1 MiB piped through it and hashed on both
// sides, EADDRINUSE on a taken path, ENOENT for a missing one, and the file
// that listen() makes and close() removes.
const fs = require('fs'), path = require('path'), os = require('os'), net = require('net'), http = require('http');
const crypto = require('crypto');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unix-'));
const once = (em, ev) => new Promise((res, rej) => { em.once(ev, res); if (ev !== 'error') em.once('error', rej); });

async function httpOverUnix() {
  const sock = path.join(dir, 'x.sock');
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`hello ${req.method} ${req.url}`);
  });
  server.listen(sock);
  await once(server, 'listening');
  console.log('http address is the path:', server.address() === sock, 'socket file:', fs.statSync(sock).isSocket());
  const body = await new Promise((res, rej) => {
    http.get({ socketPath: sock, path: '/over/unix' }, (r) => {
      let s = '';
      r.setEncoding('utf8');
      r.on('data', (c) => (s += c));
      r.on('end', () => res(`${r.statusCode} ${r.headers['content-type']} ${s}`));
    }).on('error', rej);
  });
  console.log('http:', body);
  const again = net.createServer().listen(sock);
  console.log('second listen:', (await once(again, 'error')).code);
  await new Promise((res) => server.close(res));
  console.log('file after close:', fs.existsSync(sock));
}

async function pipeMiB() {
  const sock = path.join(dir, 'pipe.sock');
  const data = Buffer.alloc(1 << 20);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 12)) & 255;
  const server = net.createServer((c) => {
    const h = crypto.createHash('sha256');
    let n = 0;
    c.on('data', (b) => { h.update(b); n += b.length; });
    c.on('end', () => c.end(`${n} ${h.digest('hex')}`));
  });
  server.listen(sock);
  await once(server, 'listening');
  const client = net.connect(sock);
  await once(client, 'connect');
  let reply = '';
  client.setEncoding('utf8');
  client.on('data', (s) => (reply += s));
  for (let off = 0; off < data.length; off += 65536) client.write(data.subarray(off, off + 65536));
  client.end();
  await once(client, 'close');
  console.log('server got:', reply);
  console.log('sender hash:', crypto.createHash('sha256').update(data).digest('hex'));
  await new Promise((res) => server.close(res));
}

async function missing() {
  const c = net.connect(path.join(dir, 'nobody.sock'));
  console.log('connect to a missing path:', (await once(c, 'error')).code);
}

(async () => {
  await httpOverUnix();
  await pipeMiB();
  await missing();
  fs.rmSync(dir, { recursive: true });
})();
