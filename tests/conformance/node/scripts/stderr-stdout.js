// stdout and stderr stay apart; console.error goes to stderr.
console.log('to stdout');
console.error('to stderr');
process.stderr.write('raw stderr\n');
process.stdout.write('raw stdout\n');
console.warn('warning on stderr');
