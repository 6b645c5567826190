// fs.promises on the threadpool: write, read, rename, stat, readdir, rm.
const fs = require('fs/promises');
(async () => {
  const d = await fs.mkdtemp('/tmp/conf-');
  await fs.writeFile(`${d}/x.json`, JSON.stringify({ a: 1, b: [1, 2, 3] }));
  const obj = JSON.parse(await fs.readFile(`${d}/x.json`, 'utf8'));
  console.log(obj.b.length, obj.a);
  await fs.rename(`${d}/x.json`, `${d}/y.json`);
  const st = await fs.stat(`${d}/y.json`);
  console.log('file', st.isFile(), 'dir', st.isDirectory(), 'size', st.size);
  await Promise.all(Array.from({ length: 50 }, (_, i) => fs.writeFile(`${d}/f${i}`, String(i))));
  console.log('entries', (await fs.readdir(d)).length);
  const fh = await fs.open(`${d}/f7`, 'r');
  const { bytesRead, buffer } = await fh.read(Buffer.alloc(10), 0, 10, 0);
  await fh.close();
  console.log('read', bytesRead, buffer.subarray(0, bytesRead).toString());
  await fs.rm(d, { recursive: true, force: true });
  console.log('done');
})();
