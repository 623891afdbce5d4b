"""The shipped checkpoints (`make pretrain`): the loader's checks, the NumPy models against the
torch numbers recorded in training, and a shortened re-run against the shipped curves."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from course_utils import pretrained
from course_utils.data import load_corpus
from course_utils.lm import documents_to_ids
from course_utils.pretrained import CheckpointError, load_checkpoint, numpy_lm

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import pretrain  # noqa: E402

NAMES = sorted(pretrain.RECIPES)
PRETRAIN = ROOT / "tools" / "pretrain.py"


def heldout_ids(ckpt):
    corpus = load_corpus(ckpt.recipe["corpus"])
    return documents_to_ids(ckpt.vocab, corpus.valid_docs)


def copy_checkpoint(name, folder):
    """A private copy of one checkpoint and the manifest, to tamper with."""
    shutil.copy(pretrained.CHECKPOINTS / f"{name}.npz", folder)
    shutil.copy(pretrained.CHECKPOINTS / pretrained.MANIFEST, folder)
    with np.load(folder / f"{name}.npz") as archive:
        return {key: archive[key] for key in archive.files}


# ---- what is shipped ----------------------------------------------------------------------------


def test_every_recipe_is_shipped_with_the_recipe_it_was_trained_with():
    manifest = json.loads((pretrained.CHECKPOINTS / pretrained.MANIFEST).read_text())
    assert sorted(manifest) == NAMES == pretrained.available()
    for name in NAMES:
        # A recipe edited in tools/pretrain.py without re-running it would fail here.
        assert manifest[name]["recipe"] == pretrain.RECIPES[name], name
        ckpt = load_checkpoint(name)
        assert ckpt.recipe == pretrain.RECIPES[name]
        assert list(ckpt.seeds["seed"]) == pretrain.RECIPES[name]["seeds"]
        assert ckpt.curve["step"][-1] == ckpt.recipe["steps"]
        assert np.all(np.diff(ckpt.curve["seconds"]) > 0)
        assert all(w.dtype == np.float32 for w in _flat(ckpt.weights))


def _flat(weights):
    if isinstance(weights, dict):
        return [w for v in weights.values() for w in _flat(v)]
    if isinstance(weights, list):
        return [w for v in weights for w in _flat(v)]
    return [weights]


def test_checkpoints_are_small():
    total = sum(p.stat().st_size for p in pretrained.CHECKPOINTS.glob("*.npz"))
    assert total <= 10 * 2**20, f"checkpoints take {total / 2**20:.1f} MB; the budget is 10 MB"


# ---- the loader refuses what does not match ------------------------------------------------------------


def test_loader_refuses_a_changed_array(tmp_path):
    arrays = copy_checkpoint("rnn_lm", tmp_path)
    assert load_checkpoint("rnn_lm", tmp_path).name == "rnn_lm"
    arrays["weights/W_h"][3, 4] += 1e-3
    np.savez_compressed(tmp_path / "rnn_lm.npz", **arrays)
    with pytest.raises(CheckpointError, match=r"refusing rnn_lm\.npz: the sha256 of its arrays"):
        load_checkpoint("rnn_lm", tmp_path)


def test_loader_refuses_a_changed_recipe(tmp_path):
    arrays = copy_checkpoint("lstm_lm", tmp_path)
    recipe = json.loads(str(arrays["recipe"]))
    arrays["recipe"] = np.array(json.dumps({**recipe, "steps": recipe["steps"] // 2}, sort_keys=True))
    np.savez_compressed(tmp_path / "lstm_lm.npz", **arrays)
    with pytest.raises(CheckpointError, match=r"refusing lstm_lm\.npz: its recipe is not the one the "
                                              r"manifest records \(steps: file \d+ vs manifest \d+\)"):
        load_checkpoint("lstm_lm", tmp_path)


def test_loader_refuses_a_recipe_edited_in_the_manifest(tmp_path):
    copy_checkpoint("rnn_lm", tmp_path)
    manifest = json.loads((tmp_path / pretrained.MANIFEST).read_text())
    manifest["rnn_lm"]["recipe"]["lr"] = 1.0
    (tmp_path / pretrained.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError, match=r"its recipe is not the one the manifest records "
                                              r"\(lr: file 0\.003 vs manifest 1\.0\)"):
        load_checkpoint("rnn_lm", tmp_path)


def test_loader_names_unknown_and_missing_checkpoints(tmp_path):
    with pytest.raises(CheckpointError, match=r"no checkpoint named 'gpt'; the manifest lists .*'rnn_lm'"):
        load_checkpoint("gpt")
    copy_checkpoint("rnn_lm", tmp_path)
    (tmp_path / "rnn_lm.npz").unlink()
    with pytest.raises(CheckpointError, match=r"rnn_lm\.npz is missing"):
        load_checkpoint("rnn_lm", tmp_path)
    with pytest.raises(CheckpointError, match="no checkpoint manifest"):
        load_checkpoint("rnn_lm", tmp_path / "nowhere")


# ---- the NumPy models compute what torch computed --------------------------------------------------------


@pytest.mark.parametrize("name", ["rnn_lm", "lstm_lm", "rnn_lm_25"])
def test_numpy_model_reproduces_the_recorded_heldout_loss(name):
    """torch recorded the held-out loss of these weights when it trained them; the course's NumPy
    model, loaded through the adapter, gets the same number (float32 sums in another order:
    agreement to about 1e-6 bits/char)."""
    ckpt = load_checkpoint(name)
    params, cell, evaluate = numpy_lm(ckpt)
    assert cell == ckpt.recipe["cell"]
    bpc = evaluate(heldout_ids(ckpt)) / np.log(2)
    assert bpc == pytest.approx(ckpt.curve["heldout_bpc"][-1], abs=1e-5)


@pytest.mark.parametrize("name", ["rnn_lm", "lstm_lm"])
def test_numpy_model_logits_and_samples_are_torchs(name):
    """The adapter's params run in course_utils.nn.language_model as a lesson's own model does:
    lm_logits equals torch's logits on held-out text (state carried across two chunks), and
    lm_generate's greedy text is torch's."""
    import torch

    from course_utils.nn.language_model import lm_generate, lm_logits

    ckpt = load_checkpoint(name)
    params, cell, _ = numpy_lm(ckpt)
    ids = heldout_ids(ckpt)[None, :400]
    first, _, state = lm_logits(params, ids[:, :200], cell=cell)
    second, _, _ = lm_logits(params, ids[:, 200:], cell=cell, state=state)
    model = _torch_model(ckpt)
    with torch.no_grad():
        expected, _ = model(torch.from_numpy(ids))
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), expected.numpy(), rtol=0, atol=1e-4)
    # Greedy decoding one step at a time (lm_step) picks torch's most probable next character.
    bos, eos = ckpt.vocab.bos_id, ckpt.vocab.eos_id
    greedy = lm_generate(params, [bos], eos, cell=cell, max_len=40, temperature=0)
    with torch.no_grad():
        logits, _ = model(torch.tensor([[bos, *greedy[:-1]]]))
    assert greedy == logits[0].argmax(-1).tolist()


def test_numpy_lm_refuses_what_is_not_a_one_layer_lm():
    for name, what in (("lstm2_lm", "2 layers"), ("bilstm_cloze", "'cloze'")):
        with pytest.raises(ValueError, match=rf"numpy_lm: '{name}' is not a 1-layer language model .*{what}"):
            numpy_lm(load_checkpoint(name))


def _torch_model(ckpt):
    """The recipe's torch model with the checkpoint's weights copied back (bias_hh = 0)."""
    import torch

    model = pretrain.build_model(ckpt.recipe, len(ckpt.vocab))
    flat = {}

    def walk(node, prefix):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{prefix}{k}.")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{prefix}{i}.")
        else:
            flat[prefix[:-1]] = node

    walk(ckpt.weights, "")
    assert pretrain.numpy_weights(model, ckpt.recipe).keys() == flat.keys()
    with torch.no_grad():
        model.embed.weight.copy_(torch.from_numpy(flat["E"]))
        model.head.weight.copy_(torch.from_numpy(flat["U"]))
        model.head.bias.copy_(torch.from_numpy(flat["c"]))
        for layer in range(ckpt.recipe["num_layers"]):
            for suffix, direction in ([("", "fwd."), ("_reverse", "bwd.")] if ckpt.recipe.get("bidirectional")
                                      else [("", "")]):
                prefix = (f"layers.{layer}." if ckpt.recipe["num_layers"] > 1 else "") + direction
                for torch_name, ours in (("weight_ih", "W_e"), ("weight_hh", "W_h"), ("bias_ih", "b")):
                    getattr(model.rnn, f"{torch_name}_l{layer}{suffix}").copy_(
                        torch.from_numpy(flat[prefix + ours]))
                getattr(model.rnn, f"bias_hh_l{layer}{suffix}").zero_()
    return model.eval()


def test_two_layer_checkpoint_in_numpy_stacked_layers():
    """lstm2_lm: the weights back in torch give the recorded held-out loss, and the NumPy stacked
    LSTM (course_utils.nn.stacked) computes the same logits as torch on held-out text."""
    import torch

    from course_utils.nn.stacked import stacked_forward

    ckpt = load_checkpoint("lstm2_lm")
    ids = heldout_ids(ckpt)
    model = _torch_model(ckpt)
    torch_bpc = pretrain.heldout_nats(model, ckpt.recipe, ids) / np.log(2)
    assert torch_bpc == pytest.approx(ckpt.curve["heldout_bpc"][-1], abs=1e-5)
    w = ckpt.weights
    x = ids[None, :300]
    hs, _ = stacked_forward(w["E"][x].astype(np.float64), w["layers"], cell="lstm")
    logits = hs @ w["U"].T + w["c"]
    with torch.no_grad():
        expected, _ = model(torch.from_numpy(x))
    assert np.max(np.abs(logits - expected.numpy())) < 1e-4


def test_bidirectional_cloze_checkpoint_in_numpy():
    """bilstm_cloze: course_utils.nn.bidirectional on the held-out windows, then the head on
    [→h(t-1) ; ←h(t+1)], gives the loss torch recorded."""
    from course_utils.nn.bidirectional import bidirectional_forward
    from course_utils.nn.layers import log_softmax

    ckpt = load_checkpoint("bilstm_cloze")
    w = ckpt.weights
    windows = pretrain.cloze_windows(heldout_ids(ckpt), ckpt.recipe["seq_len"])
    hs, _ = bidirectional_forward(w["E"][windows], w["fwd"], w["bwd"], "lstm")     # (n, T, 2H)
    H = ckpt.recipe["hidden_dim"]
    both = np.concatenate([hs[:, :-2, :H], hs[:, 2:, H:]], axis=-1)                   # (n, T-2, 2H)
    logp = log_softmax(both @ w["U"].T + w["c"])
    nats = -np.take_along_axis(logp, windows[:, 1:-1, None], axis=-1).mean()
    assert nats / np.log(2) == pytest.approx(ckpt.curve["heldout_bpc"][-1], abs=1e-5)


# ---- a shortened recipe follows the shipped curve ----------------------------------------------------------


def test_quick_recipe_reproduces_the_beginning_of_the_shipped_curve(tmp_path):
    """`tools/pretrain.py --quick` trains the same recipe, learning-rate schedule and seed,
    stopped after QUICK_STEPS updates. torch on one CPU thread is deterministic: on the same CPU
    model with the same torch the curve is identical to the last bit. Another CPU may round some
    float32 sums differently (another vector instruction set): perturbing every initial weight
    by a relative 1e-6, far more than such round-off, moves the curve by at most 1.3e-5 bits/char
    in 25 updates, while a recipe changed a little (learning rate +2 %, dropout +0.01) moves it
    by 3e-4 to 1.4e-2 (docs/pretrained.md). So elsewhere the curves must agree to 1e-4."""
    result = subprocess.run([sys.executable, str(PRETRAIN), "--quick", "--only", "rnn_lm", "--jobs", "1",
                             "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    quick, shipped = load_checkpoint("rnn_lm", tmp_path), load_checkpoint("rnn_lm")
    assert quick.recipe == {**shipped.recipe, "stop_after": pretrain.QUICK_STEPS}
    steps = list(quick.curve["step"])
    assert steps == [0, 10, pretrain.QUICK_STEPS]
    at = [list(shipped.curve["step"]).index(s) for s in steps]
    if quick.results["machine"] == shipped.results["machine"]:
        np.testing.assert_array_equal(quick.curve["heldout_bpc"], shipped.curve["heldout_bpc"][at])
    else:
        np.testing.assert_allclose(quick.curve["heldout_bpc"], shipped.curve["heldout_bpc"][at],
                                   rtol=0, atol=1e-4)
    assert quick.curve["heldout_bpc"][-1] < quick.curve["heldout_bpc"][0] - 1.0  # it did learn


def test_quick_refuses_to_overwrite_the_shipped_checkpoints():
    result = subprocess.run([sys.executable, str(PRETRAIN), "--quick", "--only", "rnn_lm"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "--quick writes shortened checkpoints: give --out" in result.stderr
