// What the os module reports about the machine.
const os = require('os');
console.log('cpus >= 1', os.cpus().length >= 1, 'model is a string', typeof os.cpus()[0]?.model);
console.log('availableParallelism >= 1', os.availableParallelism() >= 1);
console.log('totalmem > freemem > 0', os.totalmem() > os.freemem() && os.freemem() > 0);
console.log(os.platform(), os.arch(), os.type(), os.endianness(), JSON.stringify(os.EOL));
console.log('release is a string', typeof os.release(), 'uptime >= 0', os.uptime() >= 0);
console.log('loadavg', os.loadavg().length, 'tmpdir', os.tmpdir());
