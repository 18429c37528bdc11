#!/usr/bin/env bash
# Mixing the ten NER corpora by temperature (spacy-bts.SampledCorpora.v1): the byte tagger
# (configs/ner_cpu.cfg) on corpus/ner_xx/train_parts, one run per temperature, the same
# budget (MINUTES of training, learning rate decaying to zero at STEPS), dev F1 on all dev
# sets together against minutes, then per corpus. Run after the workflow's merge-ner step.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${MINUTES:-11}
STEPS=${STEPS:-7000}
TEMPERATURES=${TEMPERATURES:-"1 2"}
runs=() sets=()
for t in $TEMPERATURES; do
  name="t$t"
  runs+=(--run "$name=configs/ner_cpu.cfg")
  sets+=(--set "$name:corpora.train.@readers=\"spacy-bts.SampledCorpora.v1\"" --set "$name:corpora.train.temperature=$t"
         --set "$name:training.max_epochs=-1" --set "$name:training.max_steps=$STEPS")
done
python bench/learning_curve.py "${runs[@]}" "${sets[@]}" --train corpus/ner_xx/train_parts \
  --dev corpus/ner_xx/dev.spacy --minutes "$MINUTES" --eval-every 3 --save training/corpus_mix \
  --out bench/results/corpus_mix.json --png bench/results/corpus_mix.png
python bench/dev_by_corpus.py $(for t in $TEMPERATURES; do echo "training/corpus_mix/t$t"; done) \
  --out bench/results/corpus_mix_dev.md
