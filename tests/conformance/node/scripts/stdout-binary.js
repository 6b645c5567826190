// 1 MiB of every byte value on stdout: the console path must be binary-safe.
const b = Buffer.alloc(1 << 20);
for (let i = 0; i < b.length; i++) b[i] = (i * 31 + (i >> 8)) & 255;
process.stdout.write(b);
