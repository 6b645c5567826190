// process.exit with a code; 'exit' listeners run first; output written before is kept.
process.on('exit', c => console.log('exit event', c));
console.log('before');
setTimeout(() => console.log('never'), 1000);
process.exitCode = 3;
process.exit(7);
