// Grow the JS heap by ~200 MB, release it, and see the heap shrink after GC.
const v8 = require('v8');
let keep = [];
for (let i = 0; i < 200; i++) keep.push(new Array(131072).fill(i)); // ~1 MiB each (SMIs)
const grown = process.memoryUsage().heapUsed;
console.log('grown past 150 MB', grown > 150e6);
keep = null;
globalThis.gc();
const after = process.memoryUsage().heapUsed;
console.log('released below 50 MB', after < 50e6, 'heap limit > 500 MB', v8.getHeapStatistics().heap_size_limit > 500e6);
const ab = []; for (let i = 0; i < 10; i++) ab.push(Buffer.alloc(10 << 20, i));
console.log('external buffers', ab.reduce((s, b) => s + b.length, 0), 'last byte', ab[9][ab[9].length - 1]);
