// An image runs one program: starting another fails at once with a clear
// error (ENOSYS, thrown by spawn), never a hang; the program keeps running.
const cp = require('child_process');
try {
  const c = cp.spawn('/bin/true');
  c.on('error', e => console.log('spawn error event', e.code));
  c.on('close', code => console.log('close', code));
} catch (e) { console.log('spawn threw', e.code, e.syscall); }
try { cp.execFileSync('/bin/true'); console.log('execFileSync ran'); } catch (e) { console.log('execFileSync threw', e.code); }
setTimeout(() => console.log('still running'), 50);
