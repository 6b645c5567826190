// fs.watchFile polls with stat: a change made later is seen (an append: one step, no
// truncated state in between for the poll to catch).
const fs = require('fs');
fs.writeFileSync('/tmp/watched', 'a');
fs.watchFile('/tmp/watched', { interval: 20 }, (cur, prev) => {
  console.log('changed size', prev.size, '->', cur.size);
  fs.unwatchFile('/tmp/watched');
});
setTimeout(() => fs.appendFileSync('/tmp/watched', 'bc'), 100);
