"""What a student or TA needs to debug a setup, in one printout.

    python -m course_utils.doctor          (in a notebook: !python -m course_utils.doctor)

Python and platform; the versions of the packages the course uses; whether the widget
front-end pieces are installed (and whether this looks like Colab, which has its own widget
manager); whether torch sees a GPU; where the data comes from (gensim's shipped files, the
download cache). It never touches the network and never fails: a problem is a line saying so.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
from pathlib import Path

PACKAGES = ["course_utils", "numpy", "scipy", "matplotlib", "ipywidgets", "anywidget", "torch", "gensim",
            "tqdm", "threadpoolctl", "PIL", "pooch", "ipykernel", "jupyterlab", "notebook",
            "jupyterlab_widgets", "widgetsnbextension", "nbgrader"]
# Needed to run the lessons (the rest are front ends and grading tools).
REQUIRED = {"course_utils", "numpy", "scipy", "matplotlib", "ipywidgets", "anywidget", "torch", "gensim",
            "tqdm", "threadpoolctl", "PIL"}


def package_versions() -> dict[str, str | None]:
    versions = {}
    for name in PACKAGES:
        try:
            module = importlib.import_module(name)
            versions[name] = getattr(module, "__version__", "installed")
        except Exception:  # any import failure is what the doctor reports
            versions[name] = None
    return versions


def in_kernel() -> bool:
    """True inside a Jupyter kernel (checked before the doctor imports anything itself)."""
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return type(shell).__name__ == "ZMQInteractiveShell"


def front_end(versions: dict[str, str | None], kernel: bool = False) -> str:
    if "google.colab" in sys.modules:
        return ("Google Colab (widgets use Colab's own manager: core ipywidgets render; the text "
                "strips turn on Colab's custom widget manager themselves)")
    if os.environ.get("BINDER_LAUNCH_HOST") or os.environ.get("BINDER_REQUEST"):
        where = "Binder"
    elif kernel:
        where = "a Jupyter kernel"
    else:
        where = "a plain Python process"
    lab_widgets = versions.get("jupyterlab_widgets")
    if lab_widgets:
        return f"{where}; JupyterLab/Notebook 7 widget support installed (jupyterlab_widgets {lab_widgets})"
    return (f"{where}; jupyterlab_widgets is NOT installed here: in JupyterLab or Notebook 7 the "
            "dashboards would show as text. Install it into the environment that runs JupyterLab.")


def gpu_status() -> str:
    try:
        import torch
    except Exception as error:
        return f"torch cannot be imported ({error})"
    if torch.cuda.is_available():
        return f"CUDA available: {torch.cuda.get_device_name(0)} (lessons use it for torch training)"
    return "no GPU visible to torch: lessons run on the CPU (they are sized for it)"


# OpenBLAS cores without AVX-512 kernels (its DYNAMIC_ARCH names; Zen and Haswell use AVX2).
AVX2_CORES = {"haswell", "zen", "sandybridge", "prescott", "nehalem", "core2", "barcelona", "bulldozer",
              "piledriver", "steamroller", "excavator"}


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The CPU's feature flags (Linux); an empty set elsewhere."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def blas_status(libraries: list[dict] | None = None, flags: set[str] | None = None) -> str:
    """Which BLAS NumPy's matrix products use, and whether it uses the CPU's widest vectors.

    NumPy's wheels pick OpenBLAS's kernels at run time from the CPU's model; a model newer than
    the OpenBLAS build (AMD's Zen 5 in OpenBLAS 0.3.31, OpenMathLib/OpenBLAS#6029) falls back to
    AVX2 kernels on a CPU with AVX-512, which halves the speed of large matrix products.
    """
    if libraries is None:
        import numpy  # noqa: F401  (loads NumPy's BLAS so that threadpoolctl sees it)
        from threadpoolctl import threadpool_info

        libraries = threadpool_info()
    flags = cpu_flags() if flags is None else flags
    blas = [lib for lib in libraries if lib.get("user_api") == "blas"]
    if not blas:
        return "no BLAS library found in this process"
    # NumPy's own (other packages such as SciPy may load a second OpenBLAS).
    lib = next((lib for lib in blas if "numpy" in str(lib.get("filepath", ""))), blas[0])
    core = str(lib.get("architecture") or "unknown")
    line = f"{lib.get('internal_api')} {lib.get('version')}, kernels for {core}"
    if lib.get("internal_api") == "openblas" and core.lower() in AVX2_CORES and "avx512f" in flags:
        forced = os.environ.get("OPENBLAS_CORETYPE")
        why = (f"OPENBLAS_CORETYPE={forced} is set in this environment" if forced
               else "OpenBLAS did not recognise this CPU")
        line += (f"; this CPU has AVX-512, which these kernels do not use ({why}): start Python with "
                 "OPENBLAS_CORETYPE=SkylakeX (e.g. `OPENBLAS_CORETYPE=SkylakeX make lab`) for about "
                 "twice the speed of large matrix products")
    return line


def data_sources() -> list[str]:
    lines = []
    try:
        from course_utils.data import gensim_data_path

        path = gensim_data_path("lee_background.cor")
        lines.append(f"shipped data: gensim test data in {path.parent} (Lee corpus, WordSim353, "
                     "SimLex-999, analogies, polarity) - used offline by default")
    except Exception as error:
        lines.append(f"shipped data MISSING: {error}")
    try:
        from course_utils.download import default_cache_dir

        cache = default_cache_dir()
    except Exception as error:
        return [*lines, f"download cache: unknown ({error})"]
    if cache.is_dir():
        files = sorted(p for p in cache.iterdir() if p.is_file())
        size = sum(p.stat().st_size for p in files) / 1e6
        lines.append(f"download cache: {cache} ({len(files)} file(s), {size:.1f} MB)")
    else:
        lines.append(f"download cache: {cache} (empty: nothing downloaded yet)")
    return lines


def report() -> dict:
    kernel = in_kernel()
    versions = package_versions()
    missing = sorted(name for name in REQUIRED if versions.get(name) is None)
    return {
        "python": f"{platform.python_version()} ({sys.executable})",
        "platform": platform.platform(),
        "versions": versions,
        "front_end": front_end(versions, kernel),
        "gpu": gpu_status(),
        "blas": blas_status(),
        "data": data_sources(),
        "missing_required": missing,
    }


def format_report(info: dict) -> str:
    lines = ["course_utils doctor", "===================",
             f"Python:    {info['python']}", f"Platform:  {info['platform']}", "", "Packages:"]
    for name, version in info["versions"].items():
        marker = "  (required for the lessons)" if name in REQUIRED and version is None else ""
        lines.append(f"  {name:20s} {version or 'not installed'}{marker}")
    lines += ["", f"Front end: {info['front_end']}", f"GPU:       {info['gpu']}",
              f"BLAS:      {info['blas']}", "", "Data:"]
    lines += [f"  {line}" for line in info["data"]]
    lines.append("")
    if info["missing_required"]:
        lines.append("PROBLEM: missing " + ", ".join(info["missing_required"])
                     + ". On a laptop run `make lab` again; on Colab re-run the setup cell.")
    else:
        lines.append("Everything the lessons need is installed.")
    return "\n".join(lines)


def main() -> int:
    info = report()
    print(format_report(info))
    return 1 if info["missing_required"] else 0


if __name__ == "__main__":
    sys.exit(main())
