// performance.now and process.hrtime never go back; Date.now is a sane wall clock.
let prev = performance.now(), back = 0;
for (let i = 0; i < 100000; i++) { const t = performance.now(); if (t < prev) back++; prev = t; }
console.log('performance.now went back', back);
let p = process.hrtime.bigint(), b2 = 0;
for (let i = 0; i < 100000; i++) { const t = process.hrtime.bigint(); if (t < p) b2++; p = t; }
console.log('hrtime went back', b2);
const t0 = performance.now();
setTimeout(() => { const dt = performance.now() - t0; console.log('50 ms timer took >= 49 ms', dt >= 49, '< 5 s', dt < 5000); }, 50);
console.log('Date.now after 2024', Date.now() > Date.UTC(2024, 0, 1));
console.log('timeOrigin sane', Math.abs(performance.timeOrigin + performance.now() - Date.now()) < 1000);
