#!/usr/bin/env bash
# The study's wall time from an empty runs folder, against its target, on this machine:
#   bench/study.sh                 ner-study compare --quick: the answer on the default corpus within 20 min on 2 cores
#   bench/study.sh --full          ner-study compare: the full default study (no target; about 45-63 min on 2 cores)
# Run it on an otherwise idle machine (the plan's estimate and the runs' times say when other processes used the cores).
# It prints one line — the design, the wall time, the plan's estimate, the CPU, the target met or missed — and appends
# it, with the timing the study wrote, to bench/study-results.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
DESIGN=--quick; TARGET_MIN=${TARGET_MIN:-20}
if [ "${1:-}" = "--full" ]; then DESIGN=""; TARGET_MIN=""; fi
make -s install
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
start=$(date +%s.%N)
.venv/bin/ner-study compare $DESIGN --output-dir "$out/runs" --tables-dir "$out/tables" --report-dir "$out/reports"
end=$(date +%s.%N)
.venv/bin/python - "$out/tables/timing.json" "$start" "$end" "${DESIGN:-full}" "$TARGET_MIN" <<'EOF'
import json, os, platform, sys, time
from ner_study.machine import cpu_identity
timing, start, end, design, target = json.load(open(sys.argv[1])), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
wall = end - start
cpu = cpu_identity()
row = {'design': design, 'wall_seconds': round(wall, 1), 'estimated_seconds': round(timing['estimated_seconds'], 1),
       'cpu': cpu['name'], 'kernels': cpu['torch_kernels'], 'cores': os.cpu_count(), 'when': time.strftime('%Y-%m-%d %H:%M'),
       'target_minutes': float(target) if target else None, **{k: round(v, 1) for k, v in timing.items() if k.endswith('_seconds')}}
verdict = '' if not target else (' — within' if wall <= 60 * float(target) else ' — MISSED') + f' the {target} min target'
print(f"ner-study compare {'--quick' if design == '--quick' else ''}: {wall / 60:.1f} min (plan: {timing['estimated_seconds'] / 60:.0f} min) "
      f"on {cpu['name']} ({cpu['torch_kernels']}), {os.cpu_count()} cores{verdict}")
with open('bench/study-results.jsonl', 'a') as f: f.write(json.dumps(row) + '\n')
EOF
