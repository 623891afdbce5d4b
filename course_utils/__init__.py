"""course_utils: the helper package of *Neural Sequence Models from Scratch*.

Modules, one concern each:

- `course_utils.data`: corpora, vocabularies, LM batching, word-vector benchmarks;
- `course_utils.nn`: NumPy reference blocks (forward/backward pairs), one module per lesson;
- `course_utils.gradcheck`: numerical gradients, relative error, comparison with torch;
- `course_utils.checks`: friendly ✓/✗ checks for the "your turn" cells;
- `course_utils.widgets`: dashboards (a pure compute function + a thin ipywidgets view);
- `course_utils.plots`: matplotlib pieces the dashboards and lessons share.
"""

__version__ = "0.1.0"
