"""Reading the encoder weights ``spacy pretrain`` saved, into a component's model.

The file holds the pretraining model's ``tok2vec`` node as Thinc bytes: its
attrs (encoder kind and settings) and one PyTorch shim (the whole pretraining
module's state dict). Only the ``encoder.*`` tensors are copied.
"""

from pathlib import Path
from typing import Dict, Tuple, Union

import srsly
from thinc.api import Model

from ..heads.wiring import torch_module


def read_pretrained_encoder(path: Union[str, Path], component: str = "component") -> Tuple[Dict, Dict]:
    """``(attrs, encoder tensors)`` of a ``spacy pretrain`` output file; a ValueError naming
    the file if it is missing or holds no byte encoder."""
    from .module import encoder_state

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"[{component}] init_encoder: no such file: {path}")
    try:
        msg = srsly.msgpack_loads(path.read_bytes())
        # Thinc stores each attr as msgpack bytes of its own.
        attrs = {key: srsly.msgpack_loads(value) for key, value in msg["attrs"][0].items()}
        shim = srsly.msgpack_loads(msg["shims"][0][0])
    except Exception as err:  # noqa: BLE001 (any unreadable file gets the same message)
        raise ValueError(
            f"[{component}] init_encoder: {path} is not a byte encoder saved by `spacy pretrain` "
            f"with spacy-bts.MaskedBytes.v1 ({type(err).__name__}: {err})"
        ) from None
    if "encoder_kind" not in attrs:
        raise ValueError(f"[{component}] init_encoder: {path} holds no byte encoder (no encoder_kind in its attrs)")
    return attrs, encoder_state(shim["state"])


def load_pretrained_encoder(model: Model, path: Union[str, Path], component: str = "component") -> None:
    """Initialise the encoder of the built ``model`` from ``path`` (``spacy pretrain`` output)."""
    from .module import load_encoder_state

    attrs, state = read_pretrained_encoder(path, component)
    module = torch_module(model)
    if "encoder_kind" not in model.attrs or not hasattr(module, "encoder"):
        raise ValueError(
            f"[{component}] init_encoder: the model {model.attrs.get('architecture', model.name)} has no separate "
            "byte encoder to start from pretrained weights"
        )
    expected = (model.attrs["encoder_kind"], model.attrs["encoder_settings"])
    found = (attrs["encoder_kind"], attrs["encoder_settings"])
    if found[0] != expected[0] or dict(found[1]) != dict(expected[1]):
        raise ValueError(
            f"[{component}] init_encoder: {path} holds a {found[0]} encoder with settings {found[1]}, "
            f"but the model's encoder is {expected[0]} with {expected[1]}"
        )
    load_encoder_state(module.encoder, state)
