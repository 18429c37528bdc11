#!/usr/bin/env bash
# NER dev F1 against fine-tuning minutes on the ten corpora (corpus/ner_xx), from scratch and
# from the pretrained byte encoder: the same config, data, seed and update budget, one run after
# the other on the same machine. Needs the workflow's convert steps and its `pretrain` step (or
# ENCODER=path/to/model-last.bin of another `spacy pretrain` run).
#   bash bench/pretraining.sh            # MINUTES=12 STEPS=6300 EVERY=3 by default
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${MINUTES:-12}
# The learning rate decays linearly to zero at STEPS: about the updates MINUTES allow on 2 cores.
STEPS=${STEPS:-6300}
EVERY=${EVERY:-3}
ENCODER=${ENCODER:-training/pretrain/model-last.bin}
NAME=${NAME:-pretraining_ner}
python bench/learning_curve.py \
  --run scratch=configs/ner_cpu.cfg --run pretrained=configs/ner_cpu.cfg \
  --train corpus/ner_xx/train.spacy --dev corpus/ner_xx/dev.spacy \
  --minutes "$MINUTES" --eval-every "$EVERY" \
  --set "scratch:training.max_steps=$STEPS" --set "pretrained:training.max_steps=$STEPS" \
  --set "pretrained:paths.init_encoder=\"$ENCODER\"" \
  --out "bench/results/$NAME.json" --png "bench/results/$NAME.png"
