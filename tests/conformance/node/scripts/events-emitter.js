// EventEmitter: on/once/off, error events, events.once, async iteration with on().
const { EventEmitter, once, on } = require('events');
const e = new EventEmitter();
e.on('x', v => console.log('on', v));
e.once('x', v => console.log('once', v));
e.emit('x', 1); e.emit('x', 2);
console.log('listeners', e.listenerCount('x'));
try { e.emit('error', new Error('bad')); } catch (err) { console.log('error thrown', err.message); }
(async () => {
  setTimeout(() => e.emit('ready', 42), 5);
  const [v] = await once(e, 'ready');
  console.log('awaited', v);
  setTimeout(() => { e.emit('tick', 1); e.emit('tick', 2); e.emit('tick', 3); }, 5);
  let n = 0;
  for await (const [t] of on(e, 'tick')) { console.log('tick', t); if (++n === 3) break; }
})();
