#!/usr/bin/env bash
# Joint pipeline (configs/joint_cpu.cfg) against bts_ner and bts_pos trained separately
# (ner_cpu.cfg, pos_cpu.cfg) with the same number of updates each: the joint batches hold
# 1,000 words (about 500 of each corpus), the separate ones 500. One run at a time; each
# `spacy train` log gives its wall time and final dev scores (dev: all documents, scored
# once, at the end). Needs the workflow's corpus/ner_xx, corpus/pos_xx and corpus/joint.
#   STEPS=2400 OUT=training/joint_bench bash bench/joint_vs_separate.sh
set -euo pipefail
STEPS=${STEPS:-2400}
OUT=${OUT:-training/joint_bench}
mkdir -p "$OUT"
run() {  # name config train dev
  local start=$(date +%s)
  python -m spacy train "$2" --paths.train "$3" --paths.dev "$4" --output "$OUT/$1" \
    --training.max_steps "$STEPS" --training.eval_frequency "$STEPS" > "$OUT/$1.log" 2>&1
  echo "$1: $(( $(date +%s) - start )) s wall; last log line: $(grep -E '^ *[0-9]+ +[0-9]+' "$OUT/$1.log" | tail -1)"
}
run ner configs/ner_cpu.cfg corpus/ner_xx/train.spacy corpus/ner_xx/dev.spacy
run pos configs/pos_cpu.cfg corpus/pos_xx/train.spacy corpus/pos_xx/dev.spacy
run joint configs/joint_cpu.cfg corpus/joint/train.spacy corpus/joint/dev.spacy
