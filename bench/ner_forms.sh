#!/usr/bin/env bash
# Training on natural CoNLL text only, against the workflow's mixed form (half the documents
# spaced, half natural): the same ten-corpus union otherwise, the same config and budget.
# Run after the workflow's convert-ner, convert-uner and merge-ner steps; then evaluate with
#   python scripts/evaluate.py training/ner_natural/model-best corpus/ner metrics/ner_natural --task ner
#   python scripts/evaluate.py training/ner_natural/model-best corpus/uner metrics/ner_natural_uner \
#       --task ner --labels PER ORG LOC
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-16800}
declare -A SRC=([en]=assets/ner/eng [es]=assets/ner/conll2002/esp [nl]=assets/ner/conll2002/ned)
train=() dev=()
for lang in en es nl; do
  python scripts/corpora.py ner "${SRC[$lang]}.train" "corpus/ner_natural_only/$lang-train.spacy" --form natural --lang "$lang"
  python scripts/corpora.py ner "${SRC[$lang]}.testa" "corpus/ner_natural_only/$lang-dev.spacy" --form natural --lang "$lang"
  train+=("corpus/ner_natural_only/$lang-train.spacy") dev+=("corpus/ner_natural_only/$lang-dev.spacy")
done
for tb in zh_gsd zh_gsdsimp hr_set da_ddt pt_bosque sr_set sk_snk sv_talbanken; do
  train+=("corpus/uner/$tb-train.spacy") dev+=("corpus/uner/$tb-dev.spacy")
done
python scripts/corpora.py merge corpus/ner_xx_natural/train.spacy "${train[@]}"
python scripts/corpora.py merge corpus/ner_xx_natural/dev.spacy "${dev[@]}"
python -m spacy train configs/ner_cpu.cfg --paths.train corpus/ner_xx_natural/train.spacy \
  --paths.dev corpus/ner_xx_natural/dev.spacy --output training/ner_natural \
  --training.max_steps "$STEPS" --training.eval_frequency 1200
