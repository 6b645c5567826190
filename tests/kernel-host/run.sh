#!/usr/bin/env bash
# Build the VFS, ext2 reader, page cache, tmpfs, devfs and the fs syscalls for
# the host, make ext2 images with mke2fs -d from a generated tree, and compare
# what the kernel code reads with what the host and debugfs see.
# Prints "N passed, N failed" last; exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
PATH="$PATH:/usr/sbin:/sbin"
for tool in gcc mke2fs debugfs e2fsck dumpe2fs; do
	command -v "$tool" >/dev/null || { echo "kernel-host: $tool not found (apt-get install gcc e2fsprogs)" >&2; exit 2; }
done
work="$(mktemp -d "${TMPDIR:-/tmp}/uninode-khost.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# ---- build ----
san="-fsanitize=address,undefined -fno-omit-frame-pointer"
if ! echo 'int main(void){return 0;}' | gcc $san -x c - -o "$work/san" 2>/dev/null; then san=""; fi
kflags="-std=c11 -O1 -g -Wall -Wextra -Wno-unused-parameter -Werror -fno-strict-aliasing $san"
srcs=("$repo"/rump/fs/*.c "$repo/syscalls/fs.c" "$repo/syscalls/io.c")
# pipes need the scheduler and pollheads, which the host shim does not model
srcs=("${srcs[@]/*\/pipe.c/}")
kobjs=()
for s in "${srcs[@]}"; do
	[ -n "$s" ] || continue
	o="$work/$(basename "$(dirname "$s")")_$(basename "$s" .c).o"
	gcc $kflags -c "$s" -o "$o"
	kobjs+=("$o")
done
for s in shim blkfile host test_vfs test_ext2 test_tmpfs test_fd test_ext2w test_proc test_locks test_notify test_jbd test_overlay test_v9fs; do
	gcc -std=gnu11 -O1 -g -Wall -Werror -Wno-unused-parameter -Wno-format-truncation $san -I"$repo" -c "$here/$s.c" -o "$work/t_$s.o"
done
t() { for s in "$@"; do echo "$work/t_$s.o"; done; }
gcc $san "${kobjs[@]}" $(t shim blkfile host test_vfs test_ext2 test_ext2w test_tmpfs test_fd test_proc test_locks test_notify test_overlay test_v9fs) -o "$work/khost"
# the journal's tests: their own volumes, made and checked with e2fsprogs
gcc $san "${kobjs[@]}" $(t shim blkfile host test_jbd) -o "$work/jhost"

# ---- the source tree ----
src="$work/src"
mkdir -p "$src"/{sizes,a/b/c/d/e,many,modes,utf8,long,tmp,run,dev,proc,.uninode,app/bin,ln,empty_dir}
printf 'hello world\n' >"$src/hello.txt"
: >"$src/empty"
for n in 1 4095 4096 4097 49152 49153 102400; do head -c "$n" /dev/urandom >"$src/sizes/s$n"; done
head -c $((20 * 1024 * 1024)) /dev/urandom >"$src/big"
printf 'start' >"$src/sparse"
printf 'middle' | dd of="$src/sparse" bs=1 seek=$((10 * 1024 * 1024)) conv=notrunc status=none
printf 'END' | dd of="$src/sparse" bs=1 seek=5000000000 conv=notrunc status=none
printf 'deep\n' >"$src/a/b/c/d/e/deep.txt"
ln -s ../b/c "$src/a/b/link_rel"
ln -s /a/b/c/d "$src/a/abs_link"
ln -s ../hello.txt "$src/a/file_link"
ln -s /nonexistent "$src/dangling"
ln -s loop2 "$src/loop1"
ln -s loop1 "$src/loop2"
ln -s ./a/./b/./c/./d/./e/./././././././././././././././././././././././././././././././deep.txt "$src/slowlink"
ln -s chain2 "$src/chain1"; ln -s chain3 "$src/chain2"; ln -s hello.txt "$src/chain3"
ln -s . "$src/selfdir"
ln -s /tmp "$src/tmplink"
for i in $(seq 0 40); do ln -s "l$((i + 1))" "$src/ln/l$i"; done
rm "$src/ln/l40"; ln -s ../hello.txt "$src/ln/l40"
(cd "$src/many" && for i in $(seq -w 0 1999); do printf '%s' "$i" >"f$i"; done && mkdir sub1 sub2)
printf 'linked' >"$src/hard1"; ln "$src/hard1" "$src/hard2"
printf 'x' >"$src/modes/x"; chmod 0755 "$src/modes/x"
printf 'r' >"$src/modes/ro"; chmod 0400 "$src/modes/ro"
printf 's' >"$src/modes/suid"; chmod 04755 "$src/modes/suid"
printf 'u' >"$src/utf8/ünïcödé"
printf 'l' >"$src/long/$(printf 'n%.0s' $(seq 1 255))"
printf 'exec /app/bin/node\narg node\n' >"$src/.uninode/boot"
printf '\177ELF' >"$src/app/bin/node"
touch -d '2001-02-03 04:05:06' "$src/hello.txt"
# what the overlay suite writes over, and the image's own /tmp files
mkdir -p "$src/app/data" "$src/tmp/sub"
printf '{"n":0}' >"$src/app/db.json"
printf 'seeded\n' >"$src/tmp/seed.txt"; chmod 0640 "$src/tmp/seed.txt"
touch -d '2002-03-04 05:06:07' "$src/tmp/seed.txt"
printf 'inner\n' >"$src/tmp/sub/inner.txt"
ln -s seed.txt "$src/tmp/seedlink"

img="$work/root.img"
mkimg() { # IMAGE SIZE SRC ARGS...: mke2fs, quiet unless it fails
	local out="$1" size="$2" from="$3"; shift 3
	truncate -s "$size" "$out"
	mke2fs -q -F -t ext2 "$@" -d "$from" "$out" >"$work/mke2fs.log" 2>&1 || { cat "$work/mke2fs.log" >&2; exit 2; }
}
mkimg "$img" 64M "$src" -b 4096
# a second image with 1 KiB blocks and 128-byte inodes (rev 1) to cover the other layout
src2="$work/src2"
mkdir -p "$src2/d/e"
head -c $((300 * 1024)) /dev/urandom >"$src2/f300k"   # double-indirect at 1 KiB blocks
printf 'small\n' >"$src2/d/e/small"
ln -s d/e/small "$src2/link"
img2="$work/small.img"
mkimg "$img2" 4097K "$src2" -b 1024 -I 128   # not a multiple of 4 KiB: a partial last cache page

# ---- what debugfs says: every entry's inode, mode, uid, gid, size; stat of files ----
expect="$work/debugfs.txt"
{
	(cd "$src" && find . -type d | sed 's|^\.||; s|^$|/|') | while read -r d; do echo "ls -p \"$d\""; done
	(cd "$src" && find . ! -path './many/*' | sed 's|^\.||; s|^$|/|') | while read -r p; do echo "stat \"$p\""; done
} >"$work/cmds"
debugfs -f "$work/cmds" "$img" >"$expect" 2>/dev/null

# ---- writable volumes, made exactly as the CLI makes them (test_ext2w.c) ----
mkvol() { # IMAGE SIZE [FEATURES]
	truncate -s "$2" "$1"
	mke2fs -q -F -t ext4 -b 4096 -I 256 -O "${3:-none,has_journal,filetype,sparse_super,large_file}" \
		-E lazy_itable_init=0,lazy_journal_init=0 "$1" >"$work/mke2fs.log" 2>&1 || { cat "$work/mke2fs.log" >&2; exit 2; }
}
export EXT2W_IMG="$work/vol.img" EXT2W_SMALL="$work/small-vol.img" EXT2W_WORK="$work"
mkvol "$EXT2W_IMG" 64M
# without large_file: the first file of 2 GiB turns it on
mkvol "$EXT2W_SMALL" 16M none,has_journal,filetype,sparse_super

sum_before="$(md5sum <"$img")"
status=0
"$work/khost" "$img" "$src" "$expect" "$img2" "$src2" >"$work/ro.out" || status=1
"$work/khost" "$img" "$src" "$expect" "$img2" "$src2" overlay >"$work/ovl.out" || status=1
# the overlay writes only to memory: the image is byte for byte what mke2fs made
if [ "$(md5sum <"$img")" != "$sum_before" ] || ! e2fsck -fn "$img" >/dev/null 2>&1; then
	echo "FAIL the image changed or does not check clean"; echo "0 passed, 1 failed" >>"$work/ovl.out"; status=1
fi
mkdir -p "$work/jbd"
"$work/jhost" "$work/jbd" >"$work/jhost.out" || status=1
grep -hv ' passed, ' "$work/ro.out" "$work/ovl.out" "$work/jhost.out"
awk '/ passed, / { p += $1; f += $3 } END { printf "%d passed, %d failed\n", p, f }' "$work/ro.out" "$work/ovl.out" "$work/jhost.out"
exit $status
