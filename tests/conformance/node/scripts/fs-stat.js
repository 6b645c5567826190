// stat and lstat of a file, a directory and a symlink; permission bits after chmod.
const fs = require('fs');
const d = fs.mkdtempSync('/tmp/stat-');
fs.writeFileSync(`${d}/f`, 'hello');
fs.symlinkSync('f', `${d}/l`);
fs.chmodSync(`${d}/f`, 0o640);
const f = fs.statSync(`${d}/f`), l = fs.lstatSync(`${d}/l`), t = fs.statSync(`${d}/l`), dir = fs.statSync(d);
console.log('file', f.isFile(), (f.mode & 0o777).toString(8), f.size, f.nlink);
console.log('link', l.isSymbolicLink(), fs.readlinkSync(`${d}/l`), 'target is file', t.isFile());
console.log('dir', dir.isDirectory());
console.log('mtime recent', Math.abs(f.mtimeMs - Date.now()) < 60000);
console.log('realpath', fs.realpathSync(`${d}/l`) === `${d}/f`);
try { fs.statSync(`${d}/missing`); } catch (e) { console.log(e.code); }
try { fs.mkdirSync(d); } catch (e) { console.log(e.code); }
try { fs.rmdirSync(d); } catch (e) { console.log(e.code); }
