// RegExp engine: unicode property escapes, named groups, lookbehind, sticky, replaceAll.
console.log('Ελληνικά and English'.match(/\p{Script=Greek}+/u)[0]);
const m = '2024-02-29'.match(/(?<y>\d{4})-(?<m>\d{2})-(?<d>\d{2})/);
console.log(m.groups.y, m.groups.m, m.groups.d);
console.log('price: $42, €13'.match(/(?<=\$)\d+/)[0], 'aaa'.replaceAll('a', 'b'));
const re = /\w+/y; re.lastIndex = 4; console.log(re.exec('one two')[0]);
console.log([...'a1b2c3'.matchAll(/\d/g)].map(x => x.index).join(','));
console.log('ﬃ'.normalize('NFKC'), 'Straße'.toUpperCase(), 'İ'.toLowerCase().length);
