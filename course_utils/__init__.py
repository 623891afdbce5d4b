"""course_utils: the helper package of *Neural Sequence Models from Scratch*.

Modules, one concern each (docs/architecture.md draws the map):

- `course_utils.data`: corpora (Lee, The Time Machine), vocabularies, LM batching, benchmarks;
- `course_utils.lm`: count-based language models (add-δ backoff, Kneser-Ney), n-gram sparsity;
- `course_utils.wordvec`: word vectors (training, loading GloVe), similarity and analogy evaluation;
- `course_utils.download`: hash-checked, cached downloads with a clear offline fallback;
- `course_utils.nn`: NumPy reference blocks that read like the lecture (nn/__init__ lists them);
- `course_utils.gradcheck`: numerical gradients, relative error, torch references and comparison;
- `course_utils.checks`: the learner-facing ✓/✗ line;
- `course_utils.exercises`: the checks behind each lesson's "your turn" exercises;
- `course_utils.diagrams`: the lecture's architecture diagrams, drawn by code;
- `course_utils.widgets`: dashboards (a pure compute function + a thin ipywidgets view each);
- `course_utils.plots`: matplotlib pieces the dashboards and lessons share;
- `course_utils.grading`: the hidden tests of the assignments (run in the kernel, judged outside);
- `course_utils.notebook_badges`: the Colab/Binder badges and setup cell of every lesson;
- `course_utils.doctor`: `python -m course_utils.doctor` prints what a bug report needs.
"""

__version__ = "0.1.0"
