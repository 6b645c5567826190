// fs.watchFile polls with stat: a change made later is seen.
const fs = require('fs');
fs.writeFileSync('/tmp/watched', 'a');
fs.watchFile('/tmp/watched', { interval: 20 }, (cur, prev) => {
  console.log('changed size', prev.size, '->', cur.size);
  fs.unwatchFile('/tmp/watched');
});
setTimeout(() => fs.writeFileSync('/tmp/watched', 'abc'), 100);
