// timers/promises with AbortSignal: a timeout aborts a long wait; setInterval iterator.
const { setTimeout: sleep, setInterval: every } = require('timers/promises');
(async () => {
  try { await sleep(10000, null, { signal: AbortSignal.timeout(20) }); } catch (e) { console.log('aborted', e.name); }
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 5);
  try { await sleep(10000, null, { signal: ac.signal }); } catch (e) { console.log('abort controller', e.name); }
  let n = 0;
  for await (const _ of every(5)) if (++n === 4) break;
  console.log('interval iterations', n);
})();
