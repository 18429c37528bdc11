"""Loading a saved BTS component: the saved labels, the config's settings, errors naming the file.

Saving is TrainablePipe's (cfg, vocab, model). Loading differs: the saved labels
(data) are taken, the settings stay the config's (config given at ``spacy.load``
wins), the model is built for the labels before its weights load, and every
error names the file it came from.
"""

from pathlib import Path
from typing import Any, Callable, Dict

import srsly
from spacy import util

from ..heads.wiring import is_built, non_finite_parameters
from ..shared_encoder import forget_precision_copy

# Model attrs that the config given at load time sets, whatever the saved model says.
RUNTIME_ATTRS = ("inference_segment_length", "window_overlap")


class LoadsSavedSettings:
    """``from_bytes`` / ``from_disk`` of ``ByteToSpanPipe``."""

    def _load_cfg(self, read: Callable[[], Any], source: str) -> Dict[str, Any]:
        try:
            saved = read()
        except (OSError, ValueError) as err:
            raise ValueError(f"[{self.name}] cannot read component settings {source}: {err}") from err
        if not isinstance(saved, dict):
            raise ValueError(f"[{self.name}] component settings in {source} must be a JSON object")
        if "labels" in saved:
            self.check_settings({"labels": saved["labels"]}, source)
            self.cfg["labels"] = list(saved["labels"])
        return saved

    def _load_model_bytes(self, data: bytes, source: str) -> None:
        self._ensure_model()
        # Described before loading: Thinc restores saved attrs before the weights fail.
        expected = f"{len(self.labels)} labels {list(self.labels)}, {self.head.describe(self.model)}"
        self._quantized = None
        # Thinc restores the saved attrs; those that only steer prediction stay the config's.
        configured = {key: self.model.attrs[key] for key in RUNTIME_ATTRS if key in self.model.attrs}
        try:
            self.model.from_bytes(data)
        except Exception as err:
            raise ValueError(
                f"[{self.name}] cannot load model weights from {source} (settings expect {expected}): {err}"
            ) from err
        self.model.attrs.update(configured)
        forget_precision_copy(self.model)
        self._check_weights(source)

    def _check_weights(self, source: str) -> None:
        """Weights that load but cannot be right: damaged values, or labels of another file."""
        damaged = non_finite_parameters(self.model) if is_built(self.model) else []
        if damaged:
            raise ValueError(
                f"[{self.name}] the model weights in {source} hold NaN or infinite values "
                f"({', '.join(damaged[:3])}{', ...' if len(damaged) > 3 else ''}): the file is damaged"
            )
        # Saved with the weights since 0.2.0; older files have no such record.
        trained = self.model.attrs.get("labels")
        if trained is not None and list(trained) != list(self.labels):
            raise ValueError(
                f"[{self.name}] the labels in the component settings {list(self.labels)} are not those "
                f"the weights in {source} were trained with {list(trained)}: the files do not belong together"
            )

    def _check_loaded(self, saved: Dict[str, Any], source: str) -> None:
        # Against the loaded model: its saved attrs (segment_length) are restored with the weights.
        self.check_settings(saved, source)
        self.check_settings(self.cfg)

    def from_bytes(self, bytes_data: bytes, *, exclude=tuple()):
        self._validate_serialization_attrs()
        saved: Dict[str, Any] = {}
        deserialize = {
            "cfg": lambda b: saved.update(self._load_cfg(lambda: srsly.json_loads(b), "bytes")),
            "vocab": lambda b: self.vocab.from_bytes(b, exclude=exclude),
            "model": lambda b: self._load_model_bytes(b, "bytes"),
        }
        util.from_bytes(bytes_data, deserialize, exclude)
        self._check_loaded(saved, "bytes")
        return self

    def from_disk(self, path, *, exclude=tuple()):
        self._validate_serialization_attrs()
        saved: Dict[str, Any] = {}

        def load_model(p: Path) -> None:
            try:
                data = Path(p).read_bytes()
            except OSError as err:
                raise ValueError(f"[{self.name}] cannot read model weights {p}: {err}") from err
            self._load_model_bytes(data, str(p))

        deserialize = {
            "cfg": lambda p: saved.update(self._load_cfg(lambda: srsly.read_json(p), str(p))),
            "vocab": lambda p: self.vocab.from_disk(p, exclude=exclude),
            "model": load_model,
        }
        util.from_disk(path, deserialize, exclude)
        self._check_loaded(saved, str(Path(path) / "cfg"))
        return self
