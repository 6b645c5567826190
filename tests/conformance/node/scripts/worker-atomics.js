// SharedArrayBuffer and Atomics.wait/notify between the main thread and two workers.
const { Worker, isMainThread, workerData } = require('worker_threads');
if (isMainThread) {
  const sab = new SharedArrayBuffer(16), ia = new Int32Array(sab);
  let exited = 0;
  for (let i = 0; i < 2; i++) new Worker(__filename, { workerData: { sab, i } }).on('exit', () => {
    if (++exited === 2) console.log('counter', Atomics.load(ia, 1), 'flag', Atomics.load(ia, 0));
  });
  setTimeout(() => { Atomics.store(ia, 0, 1); console.log('notified', Atomics.notify(ia, 0) >= 0); }, 200);
} else {
  const ia = new Int32Array(workerData.sab);
  for (let k = 0; k < 10000; k++) Atomics.add(ia, 1, 1);
  const r = Atomics.wait(ia, 0, 0, 10000);
  if (r === 'timed-out') Atomics.add(ia, 2, 1);
}
