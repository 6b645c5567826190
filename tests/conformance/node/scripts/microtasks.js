// nextTick queue drains before promise microtasks; queueMicrotask interleaves with promises.
process.nextTick(() => console.log('tick 1'));
Promise.resolve().then(() => console.log('promise 1')).then(() => console.log('promise 2'));
queueMicrotask(() => console.log('microtask'));
process.nextTick(() => console.log('tick 2'));
(async () => { console.log('async start'); await null; console.log('after await'); })();
console.log('sync end');
