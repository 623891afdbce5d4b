"""The long-trained models that `make pretrain` ships, loaded by name and checked.

A lesson trains a small model live, so the learner sees training happen, then loads the same
model trained for minutes (by `tools/pretrain.py`, once, on a CPU) to show what it becomes:

    ckpt = load_checkpoint("lstm_lm")
    ckpt.weights        # course_utils.nn's parameter layout: {"E", "W_e", "W_h", "b", "U", "c"}
    ckpt.curve          # held-out bits/char over training: {"step", "seconds", "heldout_bpc"}
    ckpt.recipe         # exactly how it was trained (a dict)
    ckpt.seeds          # the same recipe with every seed: final bits/char, curves, seconds
    ckpt.vocab          # the character vocabulary it reads (a course_utils.data.Vocab)

Each checkpoint is `checkpoints/<name>.npz` in this package: float32 weights, the curves, the
vocabulary and the recipe. `checkpoints/MANIFEST.json` records, for every name, the sha256 of
the file's arrays and the recipe it was trained with; a file whose arrays or recipe differ
from the manifest is refused with a message that says which, rather than loaded.

Nested weights are stored flat, their keys joined by dots: a 2-layer model's layer 2 input
matrix is "layers.1.W_e", a bidirectional model's backward one "bwd.W_e". `load_checkpoint`
rebuilds the nesting: weights["layers"][1]["W_e"], weights["bwd"]["W_e"], the layouts of
`course_utils.nn.stacked` and `course_utils.nn.bidirectional`.

`numpy_lm(ckpt)` is the one place that turns a language-model checkpoint into the course's
NumPy language model (`course_utils.nn.language_model`, its cell named as in `CELLS`): what the
lessons evaluate, sample and look inside.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from course_utils.data import Vocab

__all__ = [
    "CHECKPOINTS",
    "MANIFEST",
    "Checkpoint",
    "CheckpointError",
    "arrays_sha256",
    "available",
    "load_checkpoint",
    "numpy_lm",
]

CHECKPOINTS = Path(__file__).resolve().parent / "checkpoints"
MANIFEST = "MANIFEST.json"
RECIPE_KEY = "recipe"     # the one entry of a checkpoint file that is not a checksummed array


class CheckpointError(ValueError):
    """A checkpoint file is missing, or does not match the manifest."""


@dataclass(frozen=True)
class Checkpoint:
    name: str
    weights: dict
    curve: dict
    recipe: dict
    seeds: dict
    vocab: Vocab
    results: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        spread = self.seeds.get("heldout_bpc")
        seeds = "" if spread is None or len(spread) < 2 else (
            f", {len(spread)} seeds {spread.min():.3f}-{spread.max():.3f}")
        return (f"Checkpoint({self.name!r}: {self.recipe.get('cell', '')} {self.recipe.get('kind', '')}, "
                f"{self.curve['step'][-1]} steps in {self.curve['seconds'][-1]:.0f} s, held-out "
                f"{self.curve['heldout_bpc'][-1]:.3f} bits/char{seeds})")


def arrays_sha256(arrays: dict) -> str:
    """sha256 over every array (names sorted): its name, dtype, shape and bytes."""
    digest = hashlib.sha256()
    for key in sorted(arrays):
        if key == RECIPE_KEY:
            continue
        value = np.ascontiguousarray(arrays[key])
        digest.update(f"{key}|{value.dtype.str}|{value.shape}|".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def _read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        raise CheckpointError(f"no checkpoint manifest at {path}; run `make pretrain` to create the "
                              "checkpoints, or reinstall course_utils")
    return json.loads(path.read_text(encoding="utf8"))


def available(folder: Path | str | None = None) -> list[str]:
    """The names of the checkpoints the manifest lists."""
    return sorted(_read_manifest(Path(folder) if folder else CHECKPOINTS))


def _nest(flat: dict) -> dict:
    """{"E": a, "layers.0.W_e": b, "fwd.W_h": c} -> {"E": a, "layers": [{"W_e": b}], "fwd": {"W_h": c}}."""
    nested: dict = {}
    for key, value in flat.items():
        parts = key.split(".")
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def lists(node):
        if not isinstance(node, dict):
            return node
        node = {k: lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[str(i)] for i in range(len(node))]
        return node

    return lists(nested)


def load_checkpoint(name: str, folder: Path | str | None = None) -> Checkpoint:
    """The checkpoint `name`, after checking its arrays' sha256 and its recipe against the manifest.

    Raises CheckpointError, naming the file and what differs, if the name is unknown, the file
    is missing, an array was changed (checksum) or the recipe stored in the file is not the one
    the manifest records.
    """
    folder = Path(folder) if folder else CHECKPOINTS
    if not isinstance(name, str):
        raise TypeError(f"load_checkpoint: name must be a str, got {type(name).__name__}")
    manifest = _read_manifest(folder)
    if name not in manifest:
        raise CheckpointError(f"load_checkpoint: no checkpoint named {name!r}; the manifest lists "
                              f"{', '.join(repr(k) for k in sorted(manifest))}")
    path = folder / f"{name}.npz"
    if not path.is_file():
        raise CheckpointError(f"load_checkpoint: {path} is missing (the manifest lists it); "
                              "run `make pretrain` or reinstall course_utils")
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    expected = manifest[name]
    found = arrays_sha256(arrays)
    if found != expected["sha256"]:
        raise CheckpointError(
            f"load_checkpoint: refusing {path.name}: the sha256 of its arrays is {found[:16]}…, the "
            f"manifest records {expected['sha256'][:16]}…; the file was changed or damaged after "
            "`make pretrain` wrote it (reinstall course_utils, or re-run `make pretrain`)")
    if RECIPE_KEY not in arrays:
        raise CheckpointError(f"load_checkpoint: refusing {path.name}: it stores no recipe")
    recipe = json.loads(str(arrays.pop(RECIPE_KEY)))
    if recipe != expected["recipe"]:
        changed = sorted(k for k in set(recipe) | set(expected["recipe"])
                         if recipe.get(k) != expected["recipe"].get(k))
        details = ", ".join(f"{k}: file {recipe.get(k)!r} vs manifest {expected['recipe'].get(k)!r}"
                            for k in changed[:4])
        raise CheckpointError(f"load_checkpoint: refusing {path.name}: its recipe is not the one the "
                              f"manifest records ({details})")
    groups: dict = {"weights": {}, "curve": {}, "seeds": {}, "results": {}}
    vocab_tokens = None
    for key, value in arrays.items():
        group, _, rest = key.partition("/")
        if key == "vocab":
            vocab_tokens = [str(t) for t in value]
        elif group in groups and rest:
            groups[group][rest] = value
        else:
            raise CheckpointError(f"load_checkpoint: {path.name} holds an unexpected array {key!r}")
    results = {k: (v.item() if v.ndim == 0 else v) for k, v in groups["results"].items()}
    return Checkpoint(name=name, weights=_nest(groups["weights"]), curve=groups["curve"], recipe=recipe,
                      seeds=groups["seeds"], vocab=Vocab(vocab_tokens, level="char"), results=results)


def numpy_lm(ckpt: Checkpoint):
    """A 1-layer language-model checkpoint as the course's NumPy model: (params, cell, evaluate).

    params is the parameter dict of `course_utils.nn.language_model` and cell its name in
    `CELLS` (the recipe's: "rnn" for lesson 04's model, "lstm" for lesson 06's), so that
    `lm_logits(params, ids, cell=cell)`, `lm_generate(params, ..., cell=cell)` and the rest
    run it as they run a model trained in the lesson; evaluate(ids) is its mean held-out
    negative log-likelihood in nats per character (`lm_evaluate`: the streams-and-chunks
    protocol that `tools/pretrain.py` also uses). This function is the only place where
    language-model checkpoints meet the NumPy models' API; the 2-layer and bidirectional ones
    are already in the layouts of `course_utils.nn.stacked` and `course_utils.nn.bidirectional`.
    """
    from course_utils.nn.language_model import CELLS, lm_evaluate

    recipe = ckpt.recipe
    if recipe.get("kind") != "lm" or recipe.get("num_layers", 1) != 1:
        raise ValueError(f"numpy_lm: {ckpt.name!r} is not a 1-layer language model (recipe kind "
                         f"{recipe.get('kind')!r}, {recipe.get('num_layers')} layers); its weights are "
                         "in the layout of course_utils.nn.stacked or course_utils.nn.bidirectional")
    cell = recipe["cell"]
    if cell not in CELLS:
        raise ValueError(f"numpy_lm: {ckpt.name!r} was trained with cell {cell!r}; course_utils.nn "
                         f"has {', '.join(CELLS)}")
    params = dict(ckpt.weights)
    return params, cell, lambda ids: lm_evaluate(params, ids, cell=cell)
