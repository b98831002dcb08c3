#!/usr/bin/env bash
# Measures hfidx against `du -s --apparent-size` (about the floor: one
# syscall per entry) on a synthetic cache. Prints medians of RUNS runs,
# warm page cache, and peak RSS. Usage: bench/run.sh [REPOS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
repos="${1:-3000}"
runs="${2:-5}"
work="${BENCH_DIR:-$(mktemp -d)}"
cache="$work/hub-$repos"
db="$work/index.db"
go build -o "$work/hfidx" ./cmd/hfidx
if [ ! -d "$cache" ]; then
  go run ./bench/mkcache -repos "$repos" -revisions 3 -files 8 "$cache"
fi
entries=$(find "$cache" | wc -l)
links=$(find "$cache" -type l | wc -l)
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() { # name, command...
  local name="$1"; shift
  local t=() rss=0
  for _ in $(seq "$runs"); do
    local out
    /usr/bin/time -o "$work/time.out" -f "%e %M" "$@" >/dev/null 2>&1
    out=$(tail -1 "$work/time.out")
    t+=("${out% *}")
    rss=$(( ${out#* } > rss ? ${out#* } : rss ))
  done
  printf '%-28s %6.2f s   peak RSS %6d KiB\n' "$name" "$(printf '%s\n' "${t[@]}" | median)" "$rss"
}
echo "cache: $repos repos, $entries entries, $links snapshot links; $(nproc) cores; $(date -u +%Y-%m-%d)"
measure "du -s --apparent-size" du -s --apparent-size "$cache"
measure "hfidx sync (fresh index)" bash -c "rm -f '$db'; '$work/hfidx' sync --cache-dir '$cache' --db '$db'"
measure "hfidx sync (unchanged)" "$work/hfidx" sync --cache-dir "$cache" --db "$db"
measure "hfidx ls --no-sync" "$work/hfidx" ls --cache-dir "$cache" --db "$db" --no-sync
measure "hfidx query (repo_usage)" "$work/hfidx" query 'SELECT count(*), sum(size_on_disk) FROM repo_usage' --cache-dir "$cache" --db "$db" --no-sync
hashes=$("$work/hfidx" ls --revisions -q --cache-dir "$cache" --db "$db" --no-sync | awk 'NR<=100' | tr '\n' ' ')
measure "delete 100 revs --dry-run" "$work/hfidx" delete $hashes --dry-run --cache-dir "$cache" --db "$db" --no-sync
