// Timers fire in delay order; an interval runs a set number of times; clearTimeout cancels.
const order = [];
setTimeout(() => order.push(30), 30);
setTimeout(() => order.push(10), 10);
setTimeout(() => order.push(20), 20);
const cancelled = setTimeout(() => order.push('cancelled'), 15);
clearTimeout(cancelled);
let n = 0;
const iv = setInterval(() => { if (++n === 5) clearInterval(iv); }, 5);
setTimeout(() => console.log(order.join(','), 'interval ran', n), 200);
