#!/usr/bin/env bash
# NER dev F1 against fine-tuning minutes on the ten corpora (corpus/ner_xx), from scratch and
# from a pretrained encoder: the same config, data, seed and update budget, one run after the
# other on the same machine. Needs the workflow's convert steps and its `pretrain` step.
#   bash bench/pretraining.sh                       # bts_ner, training/pretrain/model-last.bin
#   CONFIG=configs/ner_baseline.cfg INIT=paths.init_tok2vec \
#     WEIGHTS=training/pretrain_baseline/model-last.bin NAME=pretraining_ner_cnn bash bench/pretraining.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${CONFIG:-configs/ner_cpu.cfg}
INIT=${INIT:-paths.init_encoder}
WEIGHTS=${WEIGHTS:-training/pretrain/model-last.bin}
MINUTES=${MINUTES:-12}
# ner_cpu.cfg's learning rate decays linearly to zero at STEPS: about the updates MINUTES allow.
STEPS=${STEPS:-6300}
EVERY=${EVERY:-3}
NAME=${NAME:-pretraining_ner}
lscpu | grep "Model name"
python bench/learning_curve.py \
  --run scratch="$CONFIG" --run pretrained="$CONFIG" \
  --train corpus/ner_xx/train.spacy --dev corpus/ner_xx/dev.spacy \
  --minutes "$MINUTES" --eval-every "$EVERY" \
  --set "scratch:training.max_steps=$STEPS" --set "pretrained:training.max_steps=$STEPS" \
  --set "pretrained:$INIT=\"$WEIGHTS\"" \
  --out "bench/results/$NAME.json" --png "bench/results/$NAME.png"
