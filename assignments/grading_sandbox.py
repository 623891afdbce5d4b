"""The grading sandbox: the student's kernel runs inside bubblewrap (`bwrap`).

`GradingExecute` (nbgrader_plugins.py) starts each grading kernel through a `Sandbox`. The
kernel then sees only:

- read-only: the system (/usr and the few /etc files that Python and its libraries read) and
  the course environment (the interpreter, its site-packages, the course_utils package, and
  the folders of LD_LIBRARY_PATH, the one variable of the grader's that it keeps besides
  locale and thread settings: a copied Python may find its libpython only there);
- read-write, thrown away after the notebook: a copy of the submission's folder (its working
  directory, in a HOME of its own, /home/student) and a private /tmp of limited size;
- the folder of its Unix sockets, through which the grader talks to it (jupyter's "ipc"
  transport: with its own network namespace the kernel has no TCP path to the grader).

It cannot see the course root (source/, release/, submitted/, autograded/, feedback/, the
gradebook, nbgrader_config.py), the exchange, the grader's HOME, the grader's processes (its
own PID namespace), or the network (only its own, empty loopback). Packages listed in
`blocked` (e.g. torch) are hidden: their folder is replaced by one whose `__init__.py`
raises ModuleNotFoundError. Only the executed notebook comes back, through the kernel's
messages; whatever else the kernel wrote disappears with its scratch folder, and every process
it started dies with the sandbox.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

HOME = "/home/student"  # the kernel's HOME; the submission's copy is a folder inside it
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# What Python, NumPy and matplotlib read from /etc: the dynamic linker's cache, the
# alternatives symlinks (e.g. BLAS), time zone, fonts, user names. Nothing else of /etc.
ETC_ENTRIES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime",
               "fonts", "passwd", "group", "nsswitch.conf", "mime.types")
# The environment variables a kernel keeps (the rest of the grader's environment stays out).
KEPT_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONHASHSEED", "OMP_NUM_THREADS",
            "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "MALLOC_ARENA_MAX")
OPT_OUT = "--GradingExecute.sandbox=off"


def install_hint() -> str:
    if sys.platform == "darwin":
        return ("bubblewrap is Linux-only: on macOS grade in a Linux VM or container, or opt out "
                f"for one run with {OPT_OUT} (see docs/instructors.md)")
    return ("install it (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora/RHEL: "
            f"sudo dnf install bubblewrap), or opt out for one run with {OPT_OUT}")


@functools.lru_cache(maxsize=8)
def problem(bwrap: str) -> str | None:
    """None if bubblewrap runs here; else one line saying what is wrong and what to do."""
    path = shutil.which(bwrap)
    if path is None:
        return f"Grading needs the bubblewrap sandbox, but '{bwrap}' was not found: {install_hint()}."
    true = shutil.which("true") or "/bin/true"
    trial = subprocess.run([path, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/",
                            "--proc", "/proc", "--dev", "/dev", true],
                           capture_output=True, text=True, timeout=60)
    if trial.returncode != 0:
        reason = (trial.stderr.strip().splitlines() or [f"exit code {trial.returncode}"])[-1]
        return (f"Grading needs the bubblewrap sandbox, but '{path}' cannot create one here "
                f"({reason}): allow user namespaces (see docs/instructors.md, 'The grading "
                f"sandbox'), or opt out for one run with {OPT_OUT}.")
    return None


def _inside(path: str, others) -> bool:
    return any(path != other and path.startswith(other.rstrip("/") + "/") for other in others)


def environment_paths(kernel_cmd: list[str]) -> list[str]:
    """The course environment, read-only: the interpreter's prefixes, its site-packages, and
    course_utils (an editable install points into the repository: only its package folder)."""
    paths = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix,
             sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    paths |= {p for p in sys.path if ("site-packages" in p or "dist-packages" in p)}
    paths.add(str(Path(os.path.realpath(kernel_cmd[0])).parent.parent))
    spec = importlib.util.find_spec("course_utils")
    if spec is not None and spec.submodule_search_locations:
        paths |= set(spec.submodule_search_locations)
    # Each as written (the kernel's command uses these) and as resolved (symlinks lead there).
    paths = {q for p in paths if p and os.path.isdir(p) for q in (os.path.abspath(p), os.path.realpath(p))}
    keep = [p for p in paths if p != "/" and not _inside(p, paths) and not _inside(p, SYSTEM_DIRS)
            and p not in SYSTEM_DIRS]
    return sorted(keep)


def library_dirs(library_path: str, folder: str) -> list[str]:
    """The folders of LD_LIBRARY_PATH that the kernel keeps (bound read-only, the variable set).

    An interpreter may find its libpython only through LD_LIBRARY_PATH: e.g. the class server's
    copy of a Python whose run path points into a folder closed to the grader (tools/hub/hub.py).
    Without it, the dynamic linker falls back to the system's libpython of the same name, if
    any: another build of Python under the environment's standard library. Kept: absolute
    folders that exist, resolved; not "/" nor any folder that holds the submission's
    working folder (that would show the course). Empty and relative entries (the current
    directory) go.
    """
    kept = []
    for entry in library_path.split(os.pathsep):
        if not entry or not os.path.isabs(entry) or not os.path.isdir(entry):
            continue
        path = os.path.realpath(entry)
        if path == "/" or folder == path or _inside(folder, [path]) or path in kept:
            continue
        kept.append(path)
    return kept


def package_dirs(name: str) -> list[str]:
    """Where the grader's interpreter would import package `name` from (not importing it)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    return [os.path.realpath(p) for p in spec.submodule_search_locations if os.path.isdir(p)]


def _system_binds() -> list[str]:
    args = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):  # merged /usr: /bin -> usr/bin
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for entry in ETC_ENTRIES:
        args += ["--ro-bind-try", f"/etc/{entry}", f"/etc/{entry}"]
    return args


class Sandbox:
    """One grading kernel's sandbox: its scratch folders on the host, and the bwrap command.

    working_folder: the kernel's working directory as nbgrader sets it (the submission's
    folder under autograded/); a copy of it, without notebooks (the one being graded already
    holds the restored hidden tests), becomes the kernel's working directory.
    """

    def __init__(self, bwrap: str, working_folder: str | os.PathLike, blocked: list[str] = (),
                 tmp_size_mb: int = 256):
        self.bwrap = shutil.which(bwrap) or bwrap
        self.tmp_size_mb = tmp_size_mb
        self.scratch = Path(tempfile.mkdtemp(prefix="grading-sandbox-"))
        try:
            self._fill(Path(working_folder).resolve(), blocked)
        except BaseException:
            self.remove()
            raise

    def _fill(self, folder: Path, blocked) -> None:
        self.folder = str(folder)
        name = folder.name or "submission"
        self.workdir = f"{HOME}/{name}"
        shutil.copytree(folder, self.scratch / "home" / name, symlinks=True,
                        ignore=shutil.ignore_patterns("*.ipynb"))
        self.ipc = self.scratch / "ipc"  # sockets and connection file: same path inside and out
        self.ipc.mkdir(mode=0o700)
        self.masks = []  # (folder with a raising __init__.py, package folder it hides)
        for number, package in enumerate(blocked):
            mask = self.scratch / "masks" / str(number)
            mask.mkdir(parents=True)
            (mask / "__init__.py").write_text(
                f"raise ModuleNotFoundError(\"No module named '{package}': {package} is not "
                f"available while grading (the assignment asks for NumPy)\", name={package!r})\n")
            self.masks += [(str(mask), target) for target in package_dirs(package)]

    @property
    def log_path(self) -> Path:
        """The kernel's stdout and stderr (bwrap's messages too), outside what it can see."""
        return self.scratch / "kernel.log"

    def log_tail(self, size: int = 4000) -> str:
        """The end of the kernel's own output (the student's code may have written much)."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(max(0, log.seek(0, os.SEEK_END) - size))
                text = log.read().decode("utf-8", errors="replace").strip()
        except OSError:
            return "(none)"
        return text or "(none)"

    @property
    def connection_file(self) -> str:
        return str(self.ipc / "kernel.json")

    @property
    def ip(self) -> str:  # jupyter's ipc transport: sockets <ip>-1, <ip>-2, ...
        return str(self.ipc / "kernel")

    def command(self, kernel_cmd: list[str], env: dict) -> list[str]:
        """`kernel_cmd` wrapped in bwrap; `env` filtered to what a kernel needs."""
        # An absolute path without "..": folders on the way (e.g. assignments/) are not there.
        kernel_cmd = [os.path.abspath(shutil.which(kernel_cmd[0]) or kernel_cmd[0]), *kernel_cmd[1:]]
        # The private /tmp and HOME first: an environment or a library folder under /tmp is
        # bound on top of them, not hidden by them.
        args = [self.bwrap, "--unshare-all", "--die-with-parent", "--new-session",
                "--cap-drop", "ALL", *_system_binds(),
                "--size", str(self.tmp_size_mb * 2**20), "--tmpfs", "/tmp",
                "--bind", str(self.scratch / "home"), HOME]
        environment = environment_paths(kernel_cmd)
        libraries = library_dirs(env.get("LD_LIBRARY_PATH", ""), self.folder)
        seen = [*environment, *SYSTEM_DIRS]
        for path in environment + [p for p in libraries if p not in seen and not _inside(p, seen)]:
            args += ["--ro-bind", path, path]
        for mask, target in self.masks:
            args += ["--ro-bind", mask, target]
        args += ["--bind", str(self.ipc), str(self.ipc),
                 "--proc", "/proc", "--dev", "/dev",
                 "--remount-ro", "/",  # the sandbox's own root: no writing beside the binds
                 "--chdir", self.workdir, "--clearenv"]
        kernel_env = {name: env[name] for name in KEPT_ENV if name in env}
        # JPY_PARENT_PID=1: inside its PID namespace the kernel's parent is bwrap's init (pid 1);
        # ipykernel then neither polls for its parent nor prints a console banner.
        kernel_env.update(HOME=HOME, TMPDIR="/tmp", PYTHONDONTWRITEBYTECODE="1", JPY_PARENT_PID="1",
                          PATH=os.pathsep.join([os.path.dirname(kernel_cmd[0]), "/usr/bin", "/bin"]))
        if libraries:
            kernel_env["LD_LIBRARY_PATH"] = os.pathsep.join(libraries)
        for name, value in sorted(kernel_env.items()):
            args += ["--setenv", name, value]
        return [*args, "--", *kernel_cmd]

    def remove(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs in `self.sandbox` (set by `use`) over Unix sockets."""

    sandbox: Sandbox | None = None
    kernel_env: dict = {}

    def use(self, sandbox: Sandbox, env: dict) -> None:
        self.sandbox, self.kernel_env = sandbox, env
        self.transport = "ipc"
        self.connection_file = sandbox.connection_file
        self.ip = sandbox.ip
        # A signal to bwrap's process group would stop bwrap itself, not the kernel inside:
        # interrupt with a control message instead (the kernel then signals itself).
        self.kernel_spec.interrupt_mode = "message"

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        return self.sandbox.command(cmd, self.kernel_env) if self.sandbox else cmd
