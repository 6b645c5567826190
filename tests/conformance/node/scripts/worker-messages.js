// worker_threads: workerData in, messages both ways, transfer of an ArrayBuffer, exit code.
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
if (isMainThread) {
  const w = new Worker(__filename, { workerData: { n: 10 } });
  w.on('message', m => {
    if (m.sum !== undefined) { console.log('sum', m.sum); const ab = new ArrayBuffer(8); w.postMessage(ab, [ab]); console.log('transferred, left', ab.byteLength); }
    else console.log('worker says', m);
  });
  w.on('exit', c => console.log('exit', c));
} else {
  let s = 0; for (let i = 1; i <= workerData.n; i++) s += i;
  parentPort.postMessage({ sum: s });
  parentPort.once('message', ab => { parentPort.postMessage(`got ${ab.byteLength} bytes`); process.exit(3); });
}
