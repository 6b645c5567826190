// require: a builtin, a JSON file and a module written at run time into /tmp; module cache.
const fs = require('fs');
fs.mkdirSync('/tmp/mods/lib', { recursive: true });
fs.writeFileSync('/tmp/mods/lib/index.js', 'exports.n = 0; exports.inc = () => ++exports.n;');
fs.writeFileSync('/tmp/mods/data.json', '{"answer": 42}');
fs.writeFileSync('/tmp/mods/package.json', '{"name":"mods","main":"lib/index.js"}');
const a = require('/tmp/mods'), b = require('/tmp/mods/lib');
a.inc(); b.inc();
console.log('same module', a === b, 'count', a.n, 'json', require('/tmp/mods/data.json').answer);
try { require('/tmp/mods/missing'); } catch (e) { console.log(e.code); }
console.log(require.resolve('/tmp/mods'));
