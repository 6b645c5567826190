// The same 5 MiB on both sides of tests/boot/net-tap.test.ts without sending it twice.
"use strict";
exports.pattern = function pattern(n) {
  const b = Buffer.alloc(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
};
