"""Training the byte tagger under bfloat16 autocast on the CPU: a probe, not a setting.

A ``--code`` file for ``spacy train``: with ``BTS_TRAIN_BF16=1`` the byte tagger's
training forward pass runs under ``torch.autocast("cpu", dtype=torch.bfloat16)``;
without it, training is unchanged. Compare the wall time and dev F1 of the two:

    BTS_TRAIN_BF16=0 python -m spacy train configs/ner_cpu.cfg --code bench/bf16_training.py \
        --paths.train corpus/ner_xx/train.spacy --paths.dev corpus/ner_xx/dev.spacy \
        --output /tmp/bf16_0 --training.max_steps 3000 --training.eval_frequency 3000
    BTS_TRAIN_BF16=1 python -m spacy train ...   (the same, --output /tmp/bf16_1)
"""

import os

import torch

from spacy_bts.heads.tagging.module import ByteTaggerModule

_forward = ByteTaggerModule.forward


def _forward_in_bfloat16(self, inputs, targets=None, open_labels=None):
    if targets is not None and os.environ.get("BTS_TRAIN_BF16") == "1":
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return _forward(self, inputs, targets, open_labels)
    return _forward(self, inputs, targets, open_labels)


ByteTaggerModule.forward = _forward_in_bfloat16
