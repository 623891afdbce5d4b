"""`make pretrain`: train, once and for as long as they need, the models whose results lessons
04, 06 and 07 discuss, and ship them as small checksummed checkpoints.

    .venv/bin/python tools/pretrain.py                     every recipe and seed (≈ 45 min, 2 cores; resumes)
    .venv/bin/python tools/pretrain.py --only lstm_lm      one recipe
    .venv/bin/python tools/pretrain.py --quick --out DIR   every recipe stopped after QUICK_STEPS
                                                           updates, seed 0 only, written to DIR

Every model is a character-level language model (or a fill-in-the-blank model) of the Lee
news corpus as lesson 04 reads it: `load_corpus("lee")`'s documents, each `<bos> text <eos>`,
the character vocabulary of the training text. Training is torch on the CPU, one thread per
process (two processes at a time), float32, seeded: the same command gives the same numbers on
the same machine. The weights are written in the NumPy models' layout (`course_utils.nn`), so
that the lessons' own code evaluates, samples and inspects them:

    torch.nn.RNN / LSTM     weight_ih_l0 -> W_e,  weight_hh_l0 -> W_h,  bias_ih_l0 + bias_hh_l0 -> b
    torch.nn.Embedding      weight -> E;          torch.nn.Linear (the output layer) weight -> U, bias -> c

(torch's LSTM gate order i, f, g, o is the course's, see course_utils/nn/lstm.py.) Each
checkpoint (course_utils/checkpoints/<name>.npz) holds the weights of seed 0, its held-out curve
(bits/char over updates and CPU seconds of training), every seed's final bits/char and curve, the
vocabulary and the recipe; checkpoints/MANIFEST.json records the sha256 of its arrays and the
recipe, which `course_utils.pretrained.load_checkpoint` checks.

`--quick` runs the same recipes, the same learning-rate schedule and the same seeds, stopped
after QUICK_STEPS updates: its curve must reproduce the beginning of the shipped one
(tests/test_pretrained.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import multiprocessing
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_utils.data import Vocab, load_corpus  # noqa: E402
from course_utils.lm import documents_to_ids  # noqa: E402
from course_utils.pretrained import CHECKPOINTS, MANIFEST, RECIPE_KEY, arrays_sha256  # noqa: E402

QUICK_STEPS = 25
# Every finished full-length (recipe, seed) run is saved here at once (git-ignored), so that an
# interrupted `make pretrain` resumes where it stopped: a saved run whose recipe is the current
# one is reused rather than trained again. `--quick` runs are never cached (they are the check).
RUNS = ROOT / "build" / "pretrain-runs"
EARLY_EVALS = (10, 25, 50, 100)    # held-out evaluations before the regular ones (every eval_every)
EVAL_STREAMS, EVAL_CHUNK = 16, 256  # the held-out protocol of course_utils.nn's lm_evaluate

# Shared by every model; a recipe below changes what differs. Chosen on the dev split (the last
# 26 training documents held out; docs/pretrained.md has the search): dropout 0.1 on the
# embeddings and 0.3 on the states, 3,000 updates of 64 streams x 64 characters (about 38 passes
# over the text), Adam with the learning rate decaying linearly to 2 %, gradients clipped at 1.
_LM = dict(kind="lm", corpus="lee", train_fraction=1.0, embed_dim=64, num_layers=1, embed_dropout=0.1,
           dropout=0.3, forget_bias=1.0, batch_size=64, seq_len=64, steps=3000, lr=5e-3, lr_final=0.02,
           max_norm=1.0, weight_decay=0.0, eval_every=250, seeds=[0, 1, 2])
# The tanh RNN diverges in its first 50 updates at 5e-3 (and 6e-3) and recovers worse: 3e-3.
_RNN = {**_LM, "cell": "rnn", "hidden_dim": 525, "lr": 3e-3}

RECIPES = {
    # Lesson 04: the tanh RNN LM, long-trained; hidden size for the parameter count of lstm_lm.
    "rnn_lm": _RNN,
    # Lesson 04's trend against Kneser-Ney: the same recipe on the first 25 % and 50 % of the
    # training text, for the same number of passes over it.
    "rnn_lm_25": {**_RNN, "train_fraction": 0.25, "steps": 750, "seeds": [0]},
    "rnn_lm_50": {**_RNN, "train_fraction": 0.5, "steps": 1500, "seeds": [0]},
    # Lesson 06: the LSTM LM at the RNN's parameter count (355,989 vs 359,900 in the course's
    # layout: one bias vector per cell, as course_utils.nn counts them).
    "lstm_lm": {**_LM, "cell": "lstm", "hidden_dim": 256},
    # Lesson 07: two LSTM layers at the same parameter count (356,106).
    "lstm2_lm": {**_LM, "cell": "lstm", "hidden_dim": 157, "num_layers": 2},
    # Lesson 07: fill in a character from both sides of it, against the left side only, at equal
    # parameter counts (224,917 vs 224,900), on the same random windows of 128 characters.
    "bilstm_cloze": {**_LM, "kind": "cloze", "cell": "lstm", "bidirectional": True, "hidden_dim": 128,
                     "seq_len": 128, "steps": 1500, "seeds": [0]},
    "lstm_cloze": {**_LM, "kind": "cloze", "cell": "lstm", "bidirectional": False, "hidden_dim": 195,
                   "seq_len": 128, "steps": 1500, "seeds": [0]},
}


# ---- data ---------------------------------------------------------------------------------------


DEV_DOCS = 26  # recipe search: the last 26 training documents held out (lesson 04's dev split)


def lm_data(recipe):
    """(vocab, training ids, held-out ids) of the recipe's corpus, as lesson 04 streams it.

    The held-out text is the corpus's validation documents; while recipes were being chosen
    (recipe["heldout"] = "dev") it was the last DEV_DOCS training documents, trained without them.
    """
    corpus = load_corpus(recipe["corpus"])
    vocab = Vocab.build(corpus.train, level="char")
    train_docs, heldout_docs = corpus.train_docs, corpus.valid_docs
    if recipe.get("heldout", "valid") == "dev":
        train_docs, heldout_docs = train_docs[:-DEV_DOCS], train_docs[-DEV_DOCS:]
    train = documents_to_ids(vocab, train_docs)
    return vocab, train[: int(round(len(train) * recipe["train_fraction"]))], \
        documents_to_ids(vocab, heldout_docs)


def cloze_windows(ids, length):
    """Windows (n, length) of ids overlapping by 2: inner positions 1..length-2 of the windows
    cover ids[1:-1] once each (a shorter last window is dropped)."""
    starts = np.arange(0, len(ids) - length + 1, length - 2)
    return ids[starts[:, None] + np.arange(length)]


# ---- the model -------------------------------------------------------------------------------------


def build_model(recipe, vocab_size):
    import torch

    class CharModel(torch.nn.Module):
        """Embedding -> dropout -> RNN/LSTM (1 or 2 layers, or bidirectional) -> dropout -> linear.
        (Dropout: embed_dropout on the embeddings, dropout on the states the output layer reads
        and, with 2 layers, between the layers.)"""

        def __init__(self):
            super().__init__()
            r = recipe
            D, H, L = r["embed_dim"], r["hidden_dim"], r["num_layers"]
            self.bidirectional = r.get("bidirectional", False)
            self.embed = torch.nn.Embedding(vocab_size, D)
            between = r["dropout"] if L > 1 else 0.0
            if r["cell"] == "rnn":
                self.rnn = torch.nn.RNN(D, H, num_layers=L, nonlinearity="tanh", batch_first=True,
                                        dropout=between, bidirectional=self.bidirectional)
            else:
                self.rnn = torch.nn.LSTM(D, H, num_layers=L, batch_first=True, dropout=between,
                                         bidirectional=self.bidirectional)
                with torch.no_grad():  # forget gates open at the start (course_utils.nn.lstm.init_lstm)
                    for name, bias in self.rnn.named_parameters():
                        if name.startswith("bias_ih"):
                            bias[H:2 * H] = r["forget_bias"]
                        elif name.startswith("bias_hh"):
                            bias[H:2 * H] = 0.0
            self.embed_drop = torch.nn.Dropout(r["embed_dropout"])
            self.drop = torch.nn.Dropout(r["dropout"])
            self.head = torch.nn.Linear(H * (2 if self.bidirectional else 1), vocab_size)

        def forward(self, ids, state=None):
            """LM: logits (N, T, V) for the next character at every step, and the last state.
            Cloze: logits (N, T-2, V) for characters 1..T-2, each from the states on its two sides
            (→h at t-1, ←h at t+1) or, unidirectional, from →h at t-1 alone."""
            hs, state = self.rnn(self.embed_drop(self.embed(ids)), state)
            if recipe["kind"] == "lm":
                return self.head(self.drop(hs)), state
            H = recipe["hidden_dim"]
            if self.bidirectional:
                hs = torch.cat([hs[:, :-2, :H], hs[:, 2:, H:]], dim=-1)
            else:
                hs = hs[:, :-2]
            return self.head(self.drop(hs)), None

    return CharModel()


def numpy_weights(model, recipe):
    """The model's weights in course_utils.nn's layout, float32, flat keys (see pretrained.py)."""
    def array(t):
        return t.detach().cpu().numpy().astype(np.float32).copy()

    rnn = model.rnn
    weights = {"E": array(model.embed.weight), "U": array(model.head.weight), "c": array(model.head.bias)}
    directions = [("", "fwd."), ("_reverse", "bwd.")] if recipe.get("bidirectional") else [("", "")]
    for layer in range(recipe["num_layers"]):
        for suffix, prefix in directions:
            if recipe["num_layers"] > 1:
                prefix = f"layers.{layer}." + prefix
            weights[prefix + "W_e"] = array(getattr(rnn, f"weight_ih_l{layer}{suffix}"))
            weights[prefix + "W_h"] = array(getattr(rnn, f"weight_hh_l{layer}{suffix}"))
            weights[prefix + "b"] = array(getattr(rnn, f"bias_ih_l{layer}{suffix}")
                                          + getattr(rnn, f"bias_hh_l{layer}{suffix}"))
    return weights


# ---- held-out evaluation ---------------------------------------------------------------------------------


def _tail_state(state, cell):
    """The last stream's state, as a batch of one."""
    if cell == "lstm":
        return tuple(s[:, -1:].contiguous() for s in state)
    return state[:, -1:].contiguous()


def heldout_nats(model, recipe, ids):
    """Mean negative log-likelihood (nats/char) on held-out ids.

    LM: the protocol of course_utils.nn.language_model.lm_evaluate (16 contiguous streams read in
    chunks of 256, the state carried; the tail continues the last stream), so that the NumPy
    model loaded from the checkpoint reproduces the number. Cloze: windows of the training
    length overlapping by 2 (`cloze_windows`), every inner character scored once.
    """
    import torch

    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        if recipe["kind"] == "cloze":
            windows = torch.from_numpy(cloze_windows(ids, recipe["seq_len"]))
            for start in range(0, len(windows), 256):
                batch = windows[start:start + 256]
                logits, _ = model(batch)
                logp = torch.log_softmax(logits, dim=-1)
                total -= float(logp.gather(-1, batch[:, 1:-1, None]).sum())
                count += batch[:, 1:-1].numel()
        else:
            inputs_all, targets_all = ids[:-1], ids[1:]
            stream = len(inputs_all) // EVAL_STREAMS
            x = torch.from_numpy(inputs_all[:EVAL_STREAMS * stream].reshape(EVAL_STREAMS, stream))
            y = torch.from_numpy(targets_all[:EVAL_STREAMS * stream].reshape(EVAL_STREAMS, stream))
            state = None
            for s in range(0, stream, EVAL_CHUNK):
                logits, state = model(x[:, s:s + EVAL_CHUNK], state)
                logp = torch.log_softmax(logits, dim=-1)
                total -= float(logp.gather(-1, y[:, s:s + EVAL_CHUNK, None]).sum())
                count += y[:, s:s + EVAL_CHUNK].numel()
            rest = EVAL_STREAMS * stream
            if rest < len(inputs_all):
                last = _tail_state(state, recipe["cell"])
                logits, _ = model(torch.from_numpy(inputs_all[None, rest:]), last)
                logp = torch.log_softmax(logits, dim=-1)
                total -= float(logp.gather(-1, torch.from_numpy(targets_all[None, rest:, None])).sum())
                count += len(targets_all) - rest
    model.train(was_training)
    return total / count


# ---- training ---------------------------------------------------------------------------------------------


def eval_steps(recipe):
    steps = recipe["steps"]
    regular = range(recipe["eval_every"], steps + 1, recipe["eval_every"])
    return sorted({0, steps, *(s for s in EARLY_EVALS if s < steps), *regular})


def learning_rate(recipe, step):
    """Linear decay from lr to lr * lr_final over the recipe's steps (whatever stop_after is)."""
    return recipe["lr"] * max(recipe["lr_final"], 1.0 - step / recipe["steps"])


def batches(recipe, train, rng):
    """One pass of (inputs, targets) batches. LM: contiguous streams (row b of batch k+1 continues
    row b of batch k, so the state is carried), starting at a random offset each pass. Cloze:
    independent random windows (targets unused: the model predicts the windows' inner characters)."""
    B, T = recipe["batch_size"], recipe["seq_len"]
    if recipe["kind"] == "cloze":
        for _ in range(len(train) // (B * T)):
            starts = rng.integers(0, len(train) - T, size=B)
            window = train[starts[:, None] + np.arange(T)]
            yield window, None
        return
    offset = int(rng.integers(0, T))
    data = train[offset:]
    stream = (len(data) - 1) // B
    inputs = data[:B * stream].reshape(B, stream)
    targets = data[1:B * stream + 1].reshape(B, stream)
    for start in range(0, stream - T + 1, T):
        yield inputs[:, start:start + T], targets[:, start:start + T]


def detach(state):
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def train(name, seed, stop_after=None):
    """Train recipe `name` with `seed` (for `stop_after` updates, default all). Returns a dict:
    weights (NumPy layout), curve {step, seconds, wall_seconds, heldout_bpc}, seconds.

    "seconds" is the CPU time of the training steps (held-out evaluations excluded): on an idle
    core, the time it takes; on a shared machine the wall clock (wall_seconds) runs longer."""
    import torch

    torch.set_num_threads(1)
    recipe = RECIPES[name]
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    vocab, train_ids, valid_ids = lm_data(recipe)
    model = build_model(recipe, len(vocab))
    optimiser = torch.optim.Adam(model.parameters(), lr=recipe["lr"], weight_decay=recipe["weight_decay"])
    stop = recipe["steps"] if stop_after is None else min(stop_after, recipe["steps"])
    evals = [s for s in eval_steps(recipe) if s <= stop]
    curve = {"step": [], "seconds": [], "wall_seconds": [], "heldout_bpc": []}

    def record(step, seconds, wall):
        curve["step"].append(step)
        curve["seconds"].append(seconds)
        curve["wall_seconds"].append(wall)
        curve["heldout_bpc"].append(heldout_nats(model, recipe, valid_ids) / math.log(2))

    step, seconds, wall = 0, 0.0, 0.0
    record(0, 0.0, 0.0)
    while step < stop:
        state = None
        for inputs, targets in batches(recipe, train_ids, rng):
            started, started_cpu = time.perf_counter(), time.process_time()
            for group in optimiser.param_groups:
                group["lr"] = learning_rate(recipe, step)
            x = torch.from_numpy(inputs)
            logits, state = model(x, state)
            state = detach(state)
            y = x[:, 1:-1] if recipe["kind"] == "cloze" else torch.from_numpy(targets)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), recipe["max_norm"])
            optimiser.step()
            seconds += time.process_time() - started_cpu
            wall += time.perf_counter() - started
            step += 1
            if step in evals:
                record(step, seconds, wall)
                if os.environ.get("PRETRAIN_PROGRESS"):
                    print(f"    {name} seed {seed} step {step}: {curve['heldout_bpc'][-1]:.4f} bits/char, "
                          f"{seconds:.0f} s CPU, {wall:.0f} s wall", flush=True)
            if step >= stop:
                break
    return {"name": name, "seed": seed, "weights": numpy_weights(model, recipe),
            "curve": {k: np.array(v) for k, v in curve.items()}, "seconds": seconds}


def _train_job(job):
    name, seed, stop_after = job
    started, started_cpu = time.perf_counter(), time.process_time()
    result = train(name, seed, stop_after)
    result["job_cpu_seconds"] = time.process_time() - started_cpu  # evaluations and data included
    if stop_after is None:
        save_run(result)
    print(f"  {name} seed {seed}: held-out {result['curve']['heldout_bpc'][-1]:.4f} bits/char after "
          f"{result['curve']['step'][-1]} updates, {result['seconds']:.0f} s CPU training, "
          f"{time.perf_counter() - started:.0f} s wall in all", flush=True)
    return result


# ---- the per-run cache (resuming an interrupted run) -------------------------------------------------


def _recipe_json(name):
    return json.dumps(RECIPES[name], sort_keys=True)


def run_path(name, seed):
    """build/pretrain-runs/<name>-<recipe hash>-seed<seed>.npz: a changed recipe is a new file."""
    digest = hashlib.sha256(_recipe_json(name).encode()).hexdigest()[:12]
    return RUNS / f"{name}-{digest}-seed{seed}.npz"


def save_run(result):
    """Save one finished run (weights, curve, seconds, its recipe), atomically: a run killed
    while writing leaves no file, never a truncated one."""
    name, seed = result["name"], result["seed"]
    arrays = {f"weights/{k}": v for k, v in result["weights"].items()}
    arrays.update({f"curve/{k}": v for k, v in result["curve"].items()})
    arrays["seconds"] = np.array(result["seconds"])
    arrays["job_cpu_seconds"] = np.array(result["job_cpu_seconds"])
    arrays[RECIPE_KEY] = np.array(_recipe_json(name))
    path = run_path(name, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as file:
        np.savez(file, **arrays)
    os.replace(partial, path)


def load_run(name, seed):
    """The saved result of (name, seed) if there is one for the current recipe, else None."""
    path = run_path(name, seed)
    if not path.is_file():
        return None
    with np.load(path) as saved:
        if str(saved[RECIPE_KEY]) != _recipe_json(name):
            return None
        part = {"weights": {}, "curve": {}}
        for key in saved.files:
            group, _, rest = key.partition("/")
            if group in part:
                part[group][rest] = saved[key]
        return {"name": name, "seed": seed, **part, "seconds": float(saved["seconds"]),
                "job_cpu_seconds": float(saved["job_cpu_seconds"])}


# ---- checkpoints -------------------------------------------------------------------------------------


def machine():
    """The CPU model and torch version: same machine and torch, same numbers to the last bit."""
    import platform

    import torch

    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf8") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model} | torch {torch.__version__}"


def stored_recipe(name, stop_after=None):
    """The recipe a checkpoint records: RECIPES[name], and `stop_after` for a shortened run."""
    return RECIPES[name] if stop_after is None else {**RECIPES[name], "stop_after": stop_after}


def checkpoint_arrays(name, results, stop_after=None):
    """The arrays of one checkpoint file from its seeds' results (seed order as in the recipe)."""
    recipe = RECIPES[name]
    first = results[0]
    vocab, train_ids, _ = lm_data(recipe)
    arrays = {f"weights/{k}": v for k, v in first["weights"].items()}
    arrays.update({f"curve/{k}": v.astype(np.float64 if k != "step" else np.int64)
                   for k, v in first["curve"].items()})
    arrays["seeds/seed"] = np.array([r["seed"] for r in results], dtype=np.int64)
    arrays["seeds/heldout_bpc"] = np.array([r["curve"]["heldout_bpc"][-1] for r in results])
    arrays["seeds/curves"] = np.stack([r["curve"]["heldout_bpc"] for r in results])
    arrays["seeds/seconds"] = np.array([r["seconds"] for r in results])
    arrays["seeds/wall_seconds"] = np.array([r["curve"]["wall_seconds"][-1] for r in results])
    arrays["results/parameters"] = np.array(sum(v.size for v in first["weights"].values()), dtype=np.int64)
    arrays["results/train_chars"] = np.array(len(train_ids), dtype=np.int64)
    arrays["results/machine"] = np.array(machine())
    arrays["vocab"] = np.array(vocab.tokens)
    arrays[RECIPE_KEY] = np.array(json.dumps(stored_recipe(name, stop_after), sort_keys=True))
    return arrays


def write_checkpoint(name, results, folder, stop_after=None):
    folder.mkdir(parents=True, exist_ok=True)
    arrays = checkpoint_arrays(name, results, stop_after)
    np.savez_compressed(folder / f"{name}.npz", **arrays)
    manifest_path = folder / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    manifest[name] = {"sha256": arrays_sha256(arrays), "recipe": stored_recipe(name, stop_after)}
    manifest_path.write_text(json.dumps(dict(sorted(manifest.items())), indent=1, sort_keys=True) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated recipe names (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help=f"stop every recipe after {QUICK_STEPS} updates, seed 0 only (needs --out)")
    parser.add_argument("--out", type=Path, help="folder for the checkpoints (default: the package's)")
    parser.add_argument("--jobs", type=int, default=2, help="training processes at once (default 2)")
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(RECIPES)
    unknown = [n for n in names if n not in RECIPES]
    if unknown:
        parser.error(f"--only: unknown recipe(s) {unknown}; known: {', '.join(RECIPES)}")
    if args.quick and args.out is None:
        parser.error("--quick writes shortened checkpoints: give --out FOLDER (never the shipped folder)")
    folder = args.out or CHECKPOINTS
    if args.quick and folder.resolve() == CHECKPOINTS.resolve():
        parser.error("--quick must not overwrite the shipped checkpoints: choose another --out")
    stop_after = QUICK_STEPS if args.quick else None
    jobs = [(n, s, stop_after) for n in names
            for s in (RECIPES[n]["seeds"][:1] if args.quick else RECIPES[n]["seeds"])]
    jobs.sort(key=lambda job: -RECIPES[job[0]]["hidden_dim"] * RECIPES[job[0]]["num_layers"])  # long first
    print(f"{len(jobs)} training runs, {args.jobs} at a time, one thread each; uptime: "
          f"{os.getloadavg()[0]:.2f} load", flush=True)
    started = time.perf_counter()
    results, todo = [], []
    left = {name: sum(job[0] == name for job in jobs) for name in names}

    def finished(result):
        """Keep a run; write its recipe's checkpoint as soon as every seed of it is done."""
        results.append(result)
        left[result["name"]] -= 1
        if left[result["name"]] == 0:
            mine = sorted((r for r in results if r["name"] == result["name"]), key=lambda r: r["seed"])
            write_checkpoint(result["name"], mine, folder, stop_after)
            print(f"  wrote {result['name']} ({len(mine)} seed(s))", flush=True)

    for job in jobs:
        saved = load_run(job[0], job[1]) if stop_after is None else None
        if saved is None:
            todo.append(job)
        else:
            print(f"  {job[0]} seed {job[1]}: reused {run_path(*job[:2]).name}", flush=True)
            finished(saved)
    if args.jobs > 1 and len(todo) > 1:
        with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
            for result in pool.imap_unordered(_train_job, todo, chunksize=1):
                finished(result)
    else:
        for job in todo:
            finished(_train_job(job))
    wall = time.perf_counter() - started
    cpu = sum(r["job_cpu_seconds"] for r in results)
    print(f"wrote {len(names)} checkpoint(s) to {folder} in {wall / 60:.1f} min wall (load average now "
          f"{os.getloadavg()[0]:.2f}); the runs took {cpu / 60:.1f} CPU minutes in all, about "
          f"{cpu / 60 / args.jobs:.1f} min of wall time on {args.jobs} otherwise idle cores")
    summary(names, folder, baselines=not args.quick)
    return 0


def count_baselines(fractions=(0.25, 0.5, 1.0)):
    """Lesson 04's count models on the same held-out text: for each training fraction, add-δ
    backoff and Kneser-Ney with the context length (characters) that does best on the dev split.
    Returns {fraction: {"backoff": (context, bits/char), "kneser_ney": (context, bits/char)}}."""
    from course_utils.lm import fit_backoff, fit_kneser_ney

    results = {}
    for fraction in fractions:
        recipe = {**_LM, "train_fraction": fraction}
        row = {}
        for model, fit, contexts in (("backoff", fit_backoff, (3, 4, 5)),
                                     ("kneser_ney", fit_kneser_ney, (4, 5, 6, 7))):
            vocab, fit_ids, dev_ids = lm_data({**recipe, "heldout": "dev"})
            dev = {k: fit(fit_ids, k, len(vocab), vocab.bos_id).mean_nll(dev_ids) for k in contexts}
            best = min(dev, key=dev.get)
            vocab, train_ids, valid_ids = lm_data(recipe)
            nats = fit(train_ids, best, len(vocab), vocab.bos_id).mean_nll(valid_ids)
            row[model] = (best, nats / math.log(2))
        results[fraction] = row
    return results


def summary(names, folder, baselines=True):
    from course_utils.pretrained import load_checkpoint

    print("count models (context chosen on the dev split), held-out bits/char:")
    for fraction, row in (count_baselines() if baselines else {}).items():
        (k_backoff, backoff), (k_kn, kn) = row["backoff"], row["kneser_ney"]
        print(f"  {fraction:4.0%} of the training text: add-δ backoff (context {k_backoff}) {backoff:.4f}, "
              f"Kneser-Ney (context {k_kn}) {kn:.4f}")

    print(f"{'model':14s}{'parameters':>11s}{'train s':>9s}{'held-out bits/char':>20s}{'seeds':>24s}")
    for name in names:
        ckpt = load_checkpoint(name, folder)
        bpc = ckpt.seeds["heldout_bpc"]
        spread = f"{bpc.min():.3f}-{bpc.max():.3f} ({len(bpc)})" if len(bpc) > 1 else "-"
        print(f"{name:14s}{int(ckpt.results['parameters']):11,d}{ckpt.curve['seconds'][-1]:9.0f}"
              f"{ckpt.curve['heldout_bpc'][-1]:20.4f}{spread:>24s}")


if __name__ == "__main__":
    sys.exit(main())
