#!/usr/bin/env bash
# Build tests/crash/volcheck (the kernel's filesystem code compiled for the host, with
# volcheck.c as its main) into OUTDIR/volcheck. Usage: build-volcheck.sh OUTDIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$1"
mkdir -p "$out/obj"
kflags="-std=c11 -O1 -g -Wall -Wextra -Wno-unused-parameter -Werror -fno-strict-aliasing"
objs=()
for s in "$repo"/rump/fs/*.c "$repo/syscalls/fs.c" "$repo/syscalls/io.c"; do
	case "$s" in */pipe.c) continue ;; esac   # pipes need the scheduler the host shim lacks
	o="$out/obj/$(basename "$(dirname "$s")")_$(basename "$s" .c).o"
	gcc $kflags -c "$s" -o "$o"
	objs+=("$o")
done
for s in "$repo/tests/kernel-host/shim.c" "$repo/tests/kernel-host/blkfile.c" "$here/volcheck.c"; do
	o="$out/obj/t_$(basename "$s" .c).o"
	gcc -std=gnu11 -O1 -g -Wall -Werror -Wno-unused-parameter -Wno-format-truncation -I"$repo" -c "$s" -o "$o"
	objs+=("$o")
done
gcc "${objs[@]}" -o "$out/volcheck"
