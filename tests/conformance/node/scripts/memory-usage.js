// process.memoryUsage and resourceUsage report sane numbers.
const m = process.memoryUsage();
console.log(Object.keys(m).sort().join(','));
console.log('rss > heapTotal', m.rss > m.heapTotal, 'heapUsed > 0', m.heapUsed > 0, 'rss < 1 GiB', m.rss < 1 << 30);
console.log('rss()', typeof process.memoryUsage.rss(), process.memoryUsage.rss() > 0);
const r = process.resourceUsage();
console.log('userCPUTime >= 0', r.userCPUTime >= 0, 'maxRSS > 0', r.maxRSS > 0);
const c = process.cpuUsage();
console.log('cpuUsage', typeof c.user, typeof c.system);
