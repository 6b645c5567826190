// Timers fire in delay order; an interval runs a set number of times; clearTimeout cancels.
// Delays are far apart: under emulation the script itself can take tens of ms between calls.
const order = [];
setTimeout(() => order.push(300), 300);
setTimeout(() => order.push(100), 100);
setTimeout(() => order.push(200), 200);
const cancelled = setTimeout(() => order.push('cancelled'), 150);
clearTimeout(cancelled);
let n = 0;
const iv = setInterval(() => { if (++n === 5) clearInterval(iv); }, 5);
setTimeout(() => console.log(order.join(','), 'interval ran', n), 600);
