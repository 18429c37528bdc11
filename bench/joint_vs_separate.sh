#!/usr/bin/env bash
# Joint pipeline (configs/joint_cpu.cfg) against bts_ner and bts_pos trained separately
# (ner_cpu.cfg, pos_cpu.cfg) with the same number of updates each: the joint batches hold
# 1,000 words (about 500 of each corpus), the separate ones 500. One run at a time; each
# `spacy train` log gives its wall time and final dev scores (dev: all documents, scored
# once, at the end). Needs the workflow's corpus/ner_xx, corpus/pos_xx and corpus/joint.
#   STEPS=2400 OUT=training/joint_bench bash bench/joint_vs_separate.sh
# RUNS picks runs (default "ner pos joint"); JOINT_ARGS adds overrides to the joint run and
# JOINT_NAME names it, e.g. RUNS=joint JOINT_NAME=joint_lr4 JOINT_ARGS="--training.optimizer.learn_rate.initial_rate 0.004".
set -euo pipefail
STEPS=${STEPS:-2400}
OUT=${OUT:-training/joint_bench}
RUNS=${RUNS:-ner pos joint}
JOINT_NAME=${JOINT_NAME:-joint}
JOINT_ARGS=${JOINT_ARGS:-}
mkdir -p "$OUT"
run() {  # name config train dev [overrides]
  local start=$(date +%s)
  python -m spacy train "$2" --paths.train "$3" --paths.dev "$4" --output "$OUT/$1" \
    --training.max_steps "$STEPS" --training.eval_frequency "$STEPS" ${5:-} > "$OUT/$1.log" 2>&1
  echo "$1: $(( $(date +%s) - start )) s wall; last log line: $(grep -E '^ *[0-9]+ +[0-9]+' "$OUT/$1.log" | tail -1)"
}
for name in $RUNS; do
  case $name in
    ner) run ner configs/ner_cpu.cfg corpus/ner_xx/train.spacy corpus/ner_xx/dev.spacy ;;
    pos) run pos configs/pos_cpu.cfg corpus/pos_xx/train.spacy corpus/pos_xx/dev.spacy ;;
    joint) run "$JOINT_NAME" configs/joint_cpu.cfg corpus/joint/train.spacy corpus/joint/dev.spacy "$JOINT_ARGS" ;;
  esac
done
