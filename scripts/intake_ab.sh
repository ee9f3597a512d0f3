#!/bin/bash
# One intake run with a CPU profile: creates/s, p50, p99, ratio to the ceiling
# (/tmp/ceiling.json from ../shared/bench/ceiling), CPU per create (all, and
# the single writer's: store.(*Store).runBatch) and the load average. Run it
# alternating with another binary: scripts/intake_ab.sh TAG BIN.
# usage: scripts/intake_ab.sh TAG BIN [extra bench flags]
tag=$1; bin=$2; shift 2
prof=/tmp/ab_${tag}_$$.prof
out=$($bin bench intake --duration 10s --concurrency 64 --json --ceiling /tmp/ceiling.json --cpuprofile $prof "$@" 2>/dev/null)
load=$(cut -d' ' -f1 /proc/loadavg)
cpu=$(go tool pprof -top $bin $prof 2>/dev/null | grep -o 'Total samples = [0-9.]*m\?s' | awk '{print $4}')
wr=$(go tool pprof -top -cum $bin $prof 2>/dev/null | grep 'store.(\*Store).runBatch$' | awk '{print $4}')
python3 - "$tag" "$out" "$cpu" "$load" "$wr" <<'PY'
import json,sys
tag,out,cpu,load,wr=sys.argv[1:6]
w=float(wr.rstrip('ms'))/(1000 if wr.endswith('ms') else 1)
d=json.loads(out)
c=float(cpu.rstrip('ms')) /(1000 if cpu.endswith('ms') else 1)
ok=d['requests']-d['errors']
print(f"{tag:8s} {d['throughput_per_s']:8.0f}/s p50 {d['p50_ms']:6.1f} p99 {d['p99_ms']:6.1f} ratio {d.get('ratio_to_ceiling',0):.3f} cpu {c:5.2f}s  {c*1000/ok:.3f} ms/create writer {w*1000/ok:.3f}  load {load}")
PY
rm -f $prof
