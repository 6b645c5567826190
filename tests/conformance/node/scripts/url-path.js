// URL and path handling.
const path = require('path'), { URL, URLSearchParams, fileURLToPath, pathToFileURL } = require('url');
const u = new URL('https://user:pw@example.com:8443/a/b/../c?x=1&y=%20z#frag');
console.log(u.href, u.host, u.pathname, u.searchParams.get('y'), u.hash);
console.log(new URLSearchParams({ a: '1', b: 'two words' }).toString());
console.log(path.join('/a', 'b', '../c', './d'), path.resolve('/x/y', '../z'), path.relative('/a/b/c', '/a/d'));
console.log(path.extname('f.tar.gz'), path.basename('/p/q.js', '.js'), path.parse('/home/u/f.txt').name);
console.log(fileURLToPath('file:///tmp/a%20b'), pathToFileURL('/tmp/a b').href);
