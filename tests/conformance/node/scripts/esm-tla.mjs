// ESM: top-level await, dynamic import of builtins and a data: module, import.meta.
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
const v = await sleep(10, 'slept');
console.log(v);
const { default: five } = await import('data:text/javascript,export default 5');
console.log('data module', five);
const os = await import('node:os');
console.log('dynamic import', typeof os.cpus);
console.log('meta', path.basename(import.meta.url), typeof import.meta.resolve);
