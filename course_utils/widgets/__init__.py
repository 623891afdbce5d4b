"""Dashboards: each module holds a pure compute function (tested, timed) and a thin view.

Views use only core ipywidgets and inline matplotlib, so they render in JupyterLab,
Notebook 7, VS Code, Voilà and Colab. Every control carries a `cu-...` CSS class.
"""
