#!/bin/bash
# Do compare, staff, sensitivity and roi with a fixed -r N print exactly what an earlier build
# printed? Runs each command on the source tree BEFORE (e.g. `git archive main | tar -x -C
# /tmp/main`) and on this checkout (with the replication cache off, cold and warm), and compares
# stdout byte for byte. Usage: scripts/same_outputs.sh /tmp/main [OUT_DIR]   (exit 1 if any differ)
# BEFORE_PYTHON: the interpreter for the earlier tree (e.g. /work/main/.venv/bin/python; default
# this checkout's). Each command runs from /tmp, so `python -m` finds the tree on PYTHONPATH only.
set -u
BEFORE=$(cd "$1" && pwd); HERE=$(cd "$(dirname "$0")/.." && pwd); OUT=${2:-$(mktemp -d)}
PY=${PYTHON:-$HERE/.venv/bin/python}; BEFORE_PY=${BEFORE_PYTHON:-$PY}; S=$HERE/scenarios; mkdir -p "$OUT"; status=0
CASES=(
  "compare_table|compare $S/mmc.yaml --vary teams.agents.agents=11 -r 4 -j 2 --set run.horizon=4w"
  "compare_json|compare $S/baseline.yaml --vary teams.network.roster.0.headcount=4 -r 3 -j 2 --set run.horizon=8w --set run.warmup=1w --format json"
  "staff_table|staff $S/mmc.yaml --set priorities.P3.response=30m --set run.horizon=10w --target sla_response_attainment>=0.9 -r 5 -j 2"
  "staff_json|staff $S/mmc.yaml --set priorities.P3.response=30m --set run.horizon=10w --target sla_response_attainment>=0.9 -r 5 -j 2 --format json"
  "sens_table|sensitivity $S/without-mim.yaml $S/with-mim.yaml --range services.customer_portal.downtime_cost=2300:9000 --range major_incident.recognition_delay.median=4m:15m --investment 250000 --years 3 -r 2 -j 2 --set run.horizon=20w --plot $OUT/tornado.png"
  "sens_json|sensitivity $S/mmc.yaml --range teams.agents.agents=10:12 --kpi mtta_min -r 3 -j 2 --set run.horizon=4w --plot $OUT/tornado2.png --format json"
  "roi_table|roi $S/without-mim.yaml $S/with-mim.yaml --years 3 --investment 250000 -r 2 -j 2 --set run.horizon=20w --input-sets 0"
  "roi_md|roi $S/without-mim.yaml $S/with-mim.yaml --years 3 --investment 250000 -r 2 -j 2 --set run.horizon=20w --input-sets 0 --format markdown"
  "roi_study_table|roi $S/without-mim.yaml $S/with-mim.yaml --years 3 -r 2 -j 2 --set run.horizon=20w --input-sets 40 --max-study-replications 4"
  "roi_study_json|roi $S/without-mim.yaml $S/with-mim.yaml --years 3 -r 2 -j 2 --set run.horizon=20w --input-sets 40 --max-study-replications 4 --format json"
)
for case in "${CASES[@]}"; do
  name=${case%%|*}; arguments=${case#*|}; cache=$OUT/cache-$name
  for build in before no-cache cold warm; do
    tree=$HERE; extra=""; python=$PY
    case $build in before) tree=$BEFORE; python=$BEFORE_PY;; no-cache) extra=--no-cache;; esac
    # shellcheck disable=SC2086  # the arguments are words on purpose
    (cd /tmp && MIMSIM_CACHE_DIR=$cache COLUMNS=200 PYTHONPATH=$tree "$python" -m simulator $arguments $extra \
      > "$OUT/$name.$build.out" 2> "$OUT/$name.$build.err")
  done
  for build in no-cache cold warm; do
    if cmp -s "$OUT/$name.before.out" "$OUT/$name.$build.out"; then echo "$name $build: same"
    else echo "$name $build: DIFFERENT ($OUT/$name.$build.out)"; status=1; fi
  done
done
exit $status
