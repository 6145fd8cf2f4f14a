#!/bin/sh
# Hunt every TTM scenario (ttm-*, design-*) of the default set on the fixed model with
# fault injection: `scripts/hunt-ttm-inject.sh [INJECT] [ENGINE] [BUDGET]`
# (defaults 1 shuttle 3s). With INJECT >= 2 only the loom-sized scenarios (<= 5 tasks).
# Prints one line per scenario; exit 1 if any failed.
set -u
INJ=${1:-1}; ENG=${2:-shuttle}; BUD=${3:-3s}
BIN=${BIN:-target/release/ttm-model}
OUT=${OUT:-target/ttm-model/inject-hunt}
mkdir -p "$OUT"
rc=0
for s in $("$BIN" list --json | python3 -c "
import json,sys
d=json.load(sys.stdin)
for s in d['scenarios']:
    n=s['name']
    if (n.startswith('ttm-') or n.startswith('design-')) and 'broken-client' not in n and not n.startswith('design-next-candidate-') and '-measure-' not in n and 'fairness' not in n:
        print(n)
"); do
  # Budget 2 only on the loom-sized scenarios (<= 5 tasks).
  if [ "$INJ" -ge 2 ]; then
    case "$s" in ttm-stress-8|ttm-stress-16|ttm-stress-32|ttm-stress-64|ttm-busy-gpu-*|ttm-shrink-16) continue;; esac
  fi
  "$BIN" hunt --scenario "$s" --inject "$INJ" --budget "$BUD" --engine "$ENG" --json --out "$OUT" > "$OUT/$s.json" 2>/dev/null
  r=$?
  line=$(python3 -c "
import json
d=json.load(open('$OUT/$s.json'))
for r in d['results']:
    print(r['executions'], ' '.join(f['property']+': '+f['message'][:160] for f in r['failures']))
" 2>/dev/null)
  echo "$s rc=$r $line"
  [ "$r" = 0 ] || rc=1
done
exit $rc
