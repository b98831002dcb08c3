#!/usr/bin/env bash
# Measures `hfidx verify --all` against `sha256sum` on the same files: a
# generated cache of real (random, non-sparse) blobs named by their true
# SHA-256 (LFS) or git blob SHA-1, about SIZE_MIB in all. Prints the median
# of RUNS runs, page cache warm, for:
#   - sha256sum over every blob (the floor the issue compares with);
#   - hfidx verify --all, first run (no index: every file is read);
#   - hfidx verify --all, second run (digests kept: nothing is read);
#   - hfidx info, which starts the binary and opens the index: the floor
#     under any second run;
#   - an empty Go program: the floor under any Go command on this machine.
# `go test ./cmd/hfidx -bench Verify` measures both runs inside one
# process, without the start of a new one.
# With COLD=1 (needs root) it also drops the page cache before one more run
# of each of the first two.
# Usage: bench/verify.sh [SIZE_MIB] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib="${1:-2048}"
runs="${2:-5}"
work="${BENCH_DIR:-$(mktemp -d)}"
trap '[ -n "${BENCH_DIR:-}" ] || rm -rf "$work"' EXIT
hub="$work/hub"
db="$work/index.db"
go build -o "$work/hfidx" ./cmd/hfidx

large=16                      # LFS blobs sharing SIZE_MIB
small=64                      # small git blobs, 1 to 64 KiB
repo="$hub/models--bench--verify"
commit=1111111111111111111111111111111111111111
mkdir -p "$repo/blobs" "$repo/snapshots/$commit" "$repo/refs"
printf '%s' "$commit" > "$repo/refs/main"
if [ -z "$(ls -A "$repo/blobs")" ]; then
  per=$(( size_mib / large ))
  for i in $(seq "$large"); do
    tmp="$repo/blobs/tmp"
    head -c "$(( per * 1024 * 1024 ))" /dev/urandom > "$tmp"
    sum=$(sha256sum "$tmp" | cut -d' ' -f1)
    mv "$tmp" "$repo/blobs/$sum"
    ln -s "../../blobs/$sum" "$repo/snapshots/$commit/model-$i.safetensors"
  done
  for i in $(seq "$small"); do
    tmp="$repo/blobs/tmp"
    head -c "$(( (RANDOM % 64 + 1) * 1024 ))" /dev/urandom > "$tmp"
    sum=$( { printf 'blob %d\0' "$(stat -c %s "$tmp")"; cat "$tmp"; } | sha1sum | cut -d' ' -f1)
    mv "$tmp" "$repo/blobs/$sum"
    ln -s "../../blobs/$sum" "$repo/snapshots/$commit/file-$i.json"
  done
fi
bytes=$(du -sb --apparent-size "$repo/blobs" | cut -f1)
files=$(ls "$repo/blobs" | wc -l)

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# seconds COMMAND...: wall time of one run, in seconds (bash's own clock:
# no process is spawned around the command).
seconds() {
  local t0 t1
  t0=$EPOCHREALTIME; "$@" >/dev/null 2>&1; t1=$EPOCHREALTIME
  echo "$t1 - $t0" | bc -l
}
hfidx() { "$work/hfidx" --cache-dir "$hub" --db "$db" "$@"; }
first() { rm -f "$db"; hfidx verify --all; }
second() { hfidx verify --all; }
shasum_all() { sha256sum "$repo"/blobs/* ; }

cat "$repo"/blobs/* > /dev/null   # warm the page cache
measure() { # name, func
  local t=()
  for _ in $(seq "$runs"); do t+=("$(seconds "$2")"); done
  printf '%s\n' "${t[@]}" | median
}
t_sha=$(measure sha256sum shasum_all)
t_first=$(measure first first)
first >/dev/null 2>&1
t_second=$(measure second second)
floor() { hfidx info; }
t_floor=$(measure floor floor)
mkdir -p "$work/empty"
printf 'package main\n\nfunc main() {}\n' > "$work/empty/main.go"
go build -o "$work/empty/empty" "$work/empty/main.go"
empty() { "$work/empty/empty"; }
t_empty=$(measure empty empty)
hfidx verify --all --json > "$work/out.json" || { echo "verify failed" >&2; exit 1; }

mib() { echo "$1 / 1048576" | bc -l; }
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "data: $files blobs, $(printf '%.0f' "$(mib "$bytes")") MiB ($large LFS + $small git); $(nproc) cores, $cpu; $(go version | cut -d' ' -f3); $(sha256sum --version | head -1); $(date -u +%Y-%m-%d)"
printf '%-34s %8.3f s  %8.1f MiB/s\n' "sha256sum (one process)" "$t_sha" "$(echo "$(mib "$bytes") / $t_sha" | bc -l)"
printf '%-34s %8.3f s  %8.1f MiB/s  (%.0f%% of sha256sum)\n' "hfidx verify --all, first run" "$t_first" \
  "$(echo "$(mib "$bytes") / $t_first" | bc -l)" "$(echo "100 * $t_sha / $t_first" | bc -l)"
printf '%-34s %8.3f s  (%.0f x faster than the first)\n' "hfidx verify --all, second run" "$t_second" \
  "$(echo "$t_first / $t_second" | bc -l)"
printf '%-34s %8.3f s  (process start and opening the index: the floor of any run)\n' "hfidx info" "$t_floor"
printf '%-34s %8.3f s  (start of any Go process; the first run takes %.0f x that)\n' "empty Go program" "$t_empty" \
  "$(echo "$t_first / $t_empty" | bc -l)"

if [ "${COLD:-}" = 1 ]; then
  drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
  drop; t=$(seconds shasum_all)
  printf '%-34s %8.3f s  %8.1f MiB/s\n' "sha256sum, cold page cache" "$t" "$(echo "$(mib "$bytes") / $t" | bc -l)"
  drop; t=$(seconds first)
  printf '%-34s %8.3f s  %8.1f MiB/s\n' "hfidx verify --all, first, cold" "$t" "$(echo "$(mib "$bytes") / $t" | bc -l)"
fi
