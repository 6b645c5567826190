// A directory of 2,000 files: create, list (names and types), stat each, remove.
const fs = require('fs');
const d = fs.mkdtempSync('/tmp/many-');
for (let i = 0; i < 2000; i++) fs.writeFileSync(`${d}/file-${String(i).padStart(4, '0')}`, 'x'.repeat(i % 17));
fs.mkdirSync(`${d}/sub`);
const names = fs.readdirSync(d).sort();
console.log('count', names.length, 'first', names[0], 'last', names[names.length - 1]);
const ents = fs.readdirSync(d, { withFileTypes: true });
console.log('dirs', ents.filter(e => e.isDirectory()).length, 'files', ents.filter(e => e.isFile()).length);
let total = 0;
for (const n of names) total += fs.statSync(`${d}/${n}`).isFile() ? fs.statSync(`${d}/${n}`).size : 0;
console.log('total bytes', total);
fs.rmSync(d, { recursive: true });
console.log('gone', !fs.existsSync(d));
