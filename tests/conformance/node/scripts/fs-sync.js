// Synchronous fs in /tmp: write, append, read, stat, rename, copy, unlink.
const fs = require('fs');
const d = fs.mkdtempSync('/tmp/conf-');
fs.writeFileSync(`${d}/a.txt`, 'first\n');
fs.appendFileSync(`${d}/a.txt`, 'second\n');
console.log(JSON.stringify(fs.readFileSync(`${d}/a.txt`, 'utf8')));
console.log('size', fs.statSync(`${d}/a.txt`).size);
fs.renameSync(`${d}/a.txt`, `${d}/b.txt`);
fs.copyFileSync(`${d}/b.txt`, `${d}/c.txt`);
console.log(fs.readdirSync(d).sort().join(','));
console.log('exists a', fs.existsSync(`${d}/a.txt`), 'exists c', fs.existsSync(`${d}/c.txt`));
fs.truncateSync(`${d}/c.txt`, 3);
console.log(JSON.stringify(fs.readFileSync(`${d}/c.txt`, 'utf8')));
fs.unlinkSync(`${d}/b.txt`);
try { fs.readFileSync(`${d}/b.txt`); } catch (e) { console.log('read removed:', e.code); }
fs.rmSync(d, { recursive: true });
console.log('removed dir', !fs.existsSync(d));
