// util: inspect, format, promisify, types, TextEncoder; assert.
const util = require('util'), assert = require('assert');
console.log(util.inspect({ a: [1, { b: new Map([['k', new Set([1])]]) }], s: Symbol('x') }, { depth: 5 }));
console.log(util.format('%s=%d %j %o', 'n', 42, { j: 1 }, [1]));
const sleep = util.promisify((ms, cb) => setTimeout(() => cb(null, ms), ms));
sleep(5).then(v => console.log('promisified', v));
console.log(util.types.isPromise(Promise.resolve()), util.isDeepStrictEqual({ a: 1 }, { a: 1 }));
try { assert.deepStrictEqual({ a: 1 }, { a: 2 }); } catch (e) { console.log(e.code); }
