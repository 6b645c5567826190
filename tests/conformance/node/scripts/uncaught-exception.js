// An uncaught exception: the stack on stderr and exit code 1.
function inner() { throw new TypeError('this went wrong'); }
setTimeout(() => inner(), 1);
