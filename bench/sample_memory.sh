#!/bin/bash
# Resident memory of one running process, once a second, until it exits.
#
#     bench/sample_memory.sh PID OUT
#
# Appends "unix-seconds VmRSS-MB VmHWM-MB" lines to OUT (VmHWM: the peak so far). For a
# `spacy project run` workflow, PID is the `python -m spacy train` process it starts
# (`pgrep -f "spacy train"`). Every 20 minutes of OUT, as in bench/results/long_run_ner.md:
#     awk 'NR==1{t0=$1}{t=$1-t0; if(t>=n){print int(t/60), $2, $3; n+=1200}} END{print int(t/60), $2, $3}' OUT
set -euo pipefail
pid=$1
out=$2
while kill -0 "$pid" 2>/dev/null; do
  rss=$(awk '/^VmRSS/{print int($2/1024)}' "/proc/$pid/status" 2>/dev/null || true)
  hwm=$(awk '/^VmHWM/{print int($2/1024)}' "/proc/$pid/status" 2>/dev/null || true)
  echo "$(date +%s) $rss $hwm" >> "$out"
  sleep 1
done
