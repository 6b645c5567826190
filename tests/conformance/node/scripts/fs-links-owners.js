// Hard links, owners, times and syncing in /tmp: link counts, the errors
// Node reports for bad links, chown/lchown/fchown with the setuid bit, utimes
// and lutimes, fsync/fdatasync of files and directories.
const fs = require('fs');
const d = fs.mkdtempSync('/tmp/conf-');
const p = (n) => `${d}/${n}`;
const code = (f) => { try { f(); return 'ok'; } catch (e) { return e.code; } };

fs.writeFileSync(p('a'), 'shared');
fs.linkSync(p('a'), p('b'));
console.log('nlink', fs.statSync(p('a')).nlink, fs.statSync(p('b')).nlink, 'same ino', fs.statSync(p('a')).ino === fs.statSync(p('b')).ino);
fs.appendFileSync(p('b'), ' data');
console.log('through a:', fs.readFileSync(p('a'), 'utf8'));
console.log('link onto existing:', code(() => fs.linkSync(p('a'), p('b'))));
console.log('link missing:', code(() => fs.linkSync(p('missing'), p('c'))));
fs.mkdirSync(p('dir'));
console.log('link a directory:', code(() => fs.linkSync(p('dir'), p('dir2'))));
fs.unlinkSync(p('a'));
console.log('after unlink nlink', fs.statSync(p('b')).nlink);

fs.chmodSync(p('b'), 0o4755);
fs.chownSync(p('b'), 1000, 1001);
let st = fs.statSync(p('b'));
console.log('chown', st.uid, st.gid, 'mode', (st.mode & 0o7777).toString(8));
fs.symlinkSync('b', p('l'));
fs.lchownSync(p('l'), 7, 8);
console.log('lchown link', fs.lstatSync(p('l')).uid, 'target', fs.statSync(p('b')).uid);
const fd = fs.openSync(p('b'), 'r+');
fs.fchownSync(fd, 0, 0);
console.log('fchown', fs.fstatSync(fd).uid, fs.fstatSync(fd).gid);
fs.fsyncSync(fd);
fs.fdatasyncSync(fd);
fs.futimesSync(fd, 1000, 2000);
st = fs.fstatSync(fd);
console.log('futimes', st.atimeMs, st.mtimeMs);
fs.closeSync(fd);
fs.utimesSync(p('b'), new Date(1500000000123), new Date(1600000000456));
st = fs.statSync(p('b'));
console.log('utimes', st.atimeMs, st.mtimeMs);
fs.lutimesSync(p('l'), 3000, 4000);
console.log('lutimes link', fs.lstatSync(p('l')).mtimeMs, 'target', fs.statSync(p('b')).mtimeMs);
const dfd = fs.openSync(d, 'r');
console.log('fsync dir:', code(() => fs.fsyncSync(dfd)));
fs.closeSync(dfd);
console.log('chown missing:', code(() => fs.chownSync(p('missing'), 0, 0)));

fs.promises.link(p('b'), p('c')).then(async () => {
  console.log('promises link nlink', (await fs.promises.stat(p('b'))).nlink);
  const h = await fs.promises.open(p('c'), 'r+');
  await h.sync();
  await h.datasync();
  await h.chown(5, 6);
  console.log('handle chown', (await h.stat()).uid);
  await h.close();
  fs.rmSync(d, { recursive: true });
  console.log('done');
});
