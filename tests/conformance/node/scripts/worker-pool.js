// Four workers at once, each hashing; results gathered in order.
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
if (isMainThread) {
  Promise.all([0, 1, 2, 3].map(i => new Promise((res, rej) => {
    const w = new Worker(__filename, { workerData: i });
    w.once('message', res); w.once('error', rej);
  }))).then(r => console.log(r.join('\n')));
} else {
  const h = require('crypto').createHash('sha256');
  for (let k = 0; k < 2000; k++) h.update(`${workerData}:${k}`);
  parentPort.postMessage(`${workerData} ${h.digest('hex')}`);
}
