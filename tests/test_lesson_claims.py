"""No claim without an output: every result a lesson's text quotes (a percentage, bits per
character, a perplexity, an accuracy, a correlation) is printed by one of that lesson's pinned
cells (tests/pinned_outputs/), or read from a shipped checkpoint's metadata, or is a literature
value listed below with its source.

A number matches when a pinned output holds a number that rounds to it (to the decimals the
text uses). `UNBACKED_TODAY` lists the claims that lessons make without such an output while
they are being reworked; it must only shrink (a test fails when it names a claim that is no
longer in the text), and it is empty when every lesson is done.
"""

from __future__ import annotations

import json
import re

import nbformat
import pytest

from conftest import ROOT

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NUMBER = r"(?<![\w.^_{\\])(\d+(?:,\d{3})*(?:\.\d+)?)"
UNIT = r"(?:\s?%|\s*(?:bits?\b|bits/char|bpc\b|nats?\b))"
CLAIMS = [
    re.compile(NUMBER + UNIT),
    re.compile(r"(?:perplexity|accuracy|error rate|Spearman(?:'s)? ρ|ρ ≈)\s*(?:of|is|=|≈|:|near|to)?\s*"
               r"(?:about\s*)?" + NUMBER, re.IGNORECASE),
]

# (lesson number, number as written) -> the source of a value the lesson cites, not measures.
LITERATURE = {
    ("00", "0.658"): "WordSim353 Spearman ρ of GloVe's 300-dimensional vectors trained on 6 billion tokens "
                     "(Pennington et al. 2014, table 3: 65.8)",
    ("00", "75"): "Google analogy accuracy of 300-dimensional vectors trained on billions of words "
                  "(Mikolov et al. 2013; Pennington et al. 2014, table 2)",
    ("07", "10"): "each additional LSTM layer reduced perplexity by nearly 10 % (Sutskever et al. 2014)",
    ("07", "76"): "sentence polarity accuracy of a CNN with random word vectors (Kim 2014, table 2, MR)",
    ("07", "81"): "the same with pretrained word2vec vectors (Kim 2014, table 2, MR)",
}

# Claims the lessons make today without an output; emptied lesson by lesson (issue 16/18).
UNBACKED_TODAY = {
}


def prose(markdown: str) -> str:
    """The text a reader reads as claims: without maths, code blocks and link targets."""
    text = re.sub(r"\$\$.*?\$\$", " ", markdown, flags=re.DOTALL)
    text = re.sub(r"\$[^$\n]*\$", " ", text)
    text = re.sub(r"```.*?```", " ", text, flags=re.DOTALL)
    return re.sub(r"\]\([^)]*\)", "]", text)


def claims(path) -> set[str]:
    found = set()
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            for pattern in CLAIMS:
                found |= {m.group(1).replace(",", "") for m in pattern.finditer(prose(cell.source))}
    return found


def backed_numbers(path) -> list[str]:
    """Every number printed by the lesson's pinned cells and in the checkpoints' metadata."""
    text = ""
    pins = ROOT / "tests" / "pinned_outputs" / f"notebooks__{path.stem}.json"
    if pins.exists():
        for cell in json.loads(pins.read_text())["cells"].values():
            for output in cell["outputs"]:
                text += output.get("text", "") + json.dumps(output.get("data", {}))
    for metadata in sorted((ROOT / "course_utils").glob("checkpoints/*.json")):
        text += metadata.read_text()
    return [n.replace(",", "") for n in re.findall(r"-?\d+(?:,\d{3})*(?:\.\d+)?", text)]


def is_backed(claim: str, numbers: list[str]) -> bool:
    decimals = len(claim.split(".")[1]) if "." in claim else 0
    value = float(claim)
    return any(abs(round(float(n), decimals) - value) < 1e-9 for n in numbers)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_quoted_result_is_printed_by_the_lesson(path):
    lesson = path.stem[:2]
    numbers = backed_numbers(path)
    unbacked = sorted(claim for claim in claims(path)
                      if not is_backed(claim, numbers) and (lesson, claim) not in LITERATURE
                      and (lesson, claim) not in UNBACKED_TODAY)
    assert not unbacked, f"{path.name} quotes {unbacked} but no pinned output prints them"


def test_the_list_of_unbacked_claims_only_shrinks():
    stale = {(lesson, claim) for lesson, claim in UNBACKED_TODAY
             if claim not in claims(next(p for p in LESSONS if p.stem.startswith(lesson)))
             or is_backed(claim, backed_numbers(next(p for p in LESSONS if p.stem.startswith(lesson))))}
    assert not stale, f"remove {sorted(stale)} from UNBACKED_TODAY: no longer quoted, or now printed"


def test_the_claim_finder_finds_claims():
    text = "It reaches 2.3 bits per character, 48% fewer parameters and a perplexity of 175."
    found = set()
    for pattern in CLAIMS:
        found |= {m.group(1) for m in pattern.finditer(prose(text))}
    assert found == {"2.3", "48", "175"}
    assert not is_backed("2.3", ["2.36"]) and is_backed("2.4", ["2.36"]) and is_backed("175", ["175.2"])
