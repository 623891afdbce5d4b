"""Dashboards: each module holds a pure compute function (tested, timed) and a thin view.

Views use core ipywidgets and inline matplotlib, so they render in JupyterLab, Notebook 7,
VS Code, Voilà and Colab; the one exception is the text strip (`text_strip`, a small anywidget)
that the five dashboards reading a text use, so that pointing at a character shows its values
(`hover` computes them; docs/dashboards.md). Every control carries a `cu-...` CSS class.
"""
