// A CPU-heavy pure-JS workload (sorting and a Map with 200k keys): results are exact.
const a = Array.from({ length: 200000 }, (_, i) => (i * 2654435761) % 1000003);
a.sort((x, y) => x - y);
const m = new Map();
for (const v of a) m.set(v % 5000, (m.get(v % 5000) || 0) + v);
let s = 0n; for (const v of m.values()) s += BigInt(v);
console.log(a[0], a[a.length - 1], a[100000], m.size, s.toString());
console.log((2n ** 200n).toString().length, Number.MAX_SAFE_INTEGER, Math.fround(5.5), (0.1 + 0.2).toFixed(20));
