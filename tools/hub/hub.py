"""`make hub` and `make hub-clean`: a whole class on a real JupyterHub on this machine.

    python tools/hub/hub.py up   [--root DIR] [--students N] [--port P] ...   (as root)
    python tools/hub/hub.py down [--root DIR]
    python tools/hub/hub.py status [--root DIR]

`up` builds, under --root (default /srv/neural-seq-models-hub):
- env/      the class server's environment, its "image": Python from the system (every user can
            run it), `pip install -r requirements.lock` and a non-editable `pip install .[hub]`,
            and tools/hub/grade_class.py as the command `course-grade-class`;
- home/     one instructor and N students, local Unix users made here (homes 0700);
            the course directory is a copy of assignments/ in the instructor's home (0700):
            students cannot read it, nor source/ with the solutions;
- exchange/ nbgrader's shared exchange, 1777 as nbgrader documents; the course's inbound folder
            is made ahead, owned by the instructor, sticky, so students cannot delete each
            other's submissions;
- etc/      Jupyter config per role: students get the Assignments tab (Formgrader and the
            authoring tools disabled, server and front end), the instructor Formgrader;
- hub/      the hub's own state (root only): the generated logins, the hub database, logs, PIDs.

JupyterHub runs tools/hub/jupyterhub_config.py with configurable-http-proxy from npm
(tools/hub/node_modules, `npm ci`). `down` stops the hub and the proxy by PID, ends any process
left to the class's users by PID, removes the users and everything under --root. Only users
that `up` made are ever removed; `up` refuses to take over an existing account.

The repository itself holds the solutions (assignments/source, and git's objects): when other
users can reach it, `up` closes it to them (chmod o-rwx on the repository folder) and `down`
gives it back its mode.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
COURSE = REPO / "assignments"
PROXY = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
HUB_CONFIG = HERE / "jupyterhub_config.py"
GRADE_CLASS_TOOL = "course-grade-class"  # tools/hub/grade_class.py in the class environment
DEFAULT_ROOT = Path("/srv/neural-seq-models-hub")
# nbgrader's front-end plugins and server extensions that only an instructor should have.
INSTRUCTOR_ONLY_LAB = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                       "@jupyter/nbgrader:course-list"]
INSTRUCTOR_ONLY_SERVER = ["nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list"]
COURSE_STATE = ["release", "submitted", "autograded", "feedback", ".exchange", "gradebook.db",
                ".ipynb_checkpoints", "__pycache__", "*.pyc", ".nbgrader.log"]


# -- small helpers ------------------------------------------------------------------------------

def say(message: str) -> None:
    print(f"[hub] {message}", flush=True)


def fail(message: str) -> None:
    print(f"make hub: {message}", file=sys.stderr)
    raise SystemExit(1)


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, **kwargs)


def run_quietly(command: list[str], **kwargs) -> None:
    """Run a noisy tool (pip, npm): show its output only when it fails."""
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        fail(f"{' '.join(command)} failed ({result.returncode}):\n{(result.stdout + result.stderr)[-4000:]}")


def runuser(user: str) -> list[str]:
    """The prefix that runs a command as `user` (runuser lives in /usr/sbin, not always on PATH)."""
    return [shutil.which("runuser") or "/usr/sbin/runuser", "-u", user, "--"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def course_id() -> str:
    text = (COURSE / "nbgrader_config.py").read_text(encoding="utf-8")
    match = re.search(r"course_id\s*=\s*['\"]([^'\"]+)['\"]", text)
    if not match:
        fail("assignments/nbgrader_config.py sets no CourseDirectory.course_id")
    return match.group(1)


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def others_can_reach(path: Path) -> bool:
    """True if a user who is neither owner nor in the group can walk into `path`."""
    path = path.resolve()
    return all(os.stat(p).st_mode & stat.S_IXOTH for p in [path, *path.parents])


def alive(pid: int | None, name: str) -> bool:
    """The process `pid` exists and its command line mentions `name` (no PID reuse accident)."""
    if not pid:
        return False
    try:
        return name in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def stop_pid(pid: int, name: str, grace: float = 20) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds, to exactly this process."""
    if not alive(pid, name):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and alive(pid, name):
        time.sleep(0.2)
    if alive(pid, name):
        os.kill(pid, signal.SIGKILL)


def stop_all(pids: list[int], grace: float = 5) -> None:
    """SIGTERM to each of these processes, SIGKILL to those still there after `grace` s."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in pids):
        time.sleep(0.2)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def pids_of_uid(uid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


# -- layout and state ---------------------------------------------------------------------------

class Layout:
    def __init__(self, root: Path, env: Path | None = None):
        self.root = root.resolve()
        self.env = (env or self.root / "env").resolve()
        self.home = self.root / "home"
        self.exchange = self.root / "exchange"
        self.etc = self.root / "etc"
        self.hub = self.root / "hub"
        self.state = self.hub / "hub.json"
        self.passwords = self.hub / "passwords.json"
        self.log = self.hub / "jupyterhub.log"

    def load(self) -> dict | None:
        return json.loads(self.state.read_text()) if self.state.is_file() else None

    def save(self, state: dict) -> None:
        self.hub.mkdir(parents=True, exist_ok=True)
        self.hub.chmod(0o700)
        self.state.write_text(json.dumps(state, indent=1))


# -- the class server's environment -------------------------------------------------------------

def course_python(env: Path) -> tuple[Path, dict]:
    """The Python the course environment runs on (the lock is made for it), usable by every user.

    Returns its executable and the variables it needs. When other users cannot reach it (a
    pyenv under /root, say), a copy of that Python without its packages goes beside the
    environment (`<env>-python`); its libpython is found through LD_LIBRARY_PATH, because the
    original's run path points into the closed folder.
    """
    base = Path(sys.base_prefix).resolve()
    executable = Path(sys._base_executable).resolve()
    if others_can_reach(executable.parent) and others_can_reach(base):
        return executable, {}
    copy = env.parent / f"{env.name}-python"
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if not (copy / "bin" / version).exists():
        say(f"{base} is closed to other users: copying that Python (without its packages) to {copy}")
        site = base / "lib" / version / "site-packages"
        tests = base / "lib" / version / "test"

        def skip(folder, names):
            return [n for n in names if Path(folder, n) in (site, tests) or n == "__pycache__"]

        shutil.copytree(base, copy, symlinks=True, ignore=skip)
        (copy / "lib" / version / "site-packages").mkdir(exist_ok=True)
    return copy / "bin" / version, {"LD_LIBRARY_PATH": str(copy / "lib")}


def env_stamp(python: Path) -> str:
    digest = hashlib.sha256(str(python).encode())
    for path in [REPO / "pyproject.toml", REPO / "requirements.lock",
                 *sorted((REPO / "course_utils").rglob("*"))]:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(REPO)).encode() + path.read_bytes())
    return digest.hexdigest()


def ensure_env(env: Path) -> dict:
    """The image: the lock's exact versions and a copy (not a link) of course_utils.

    Returns the environment variables every process of the class needs (see course_python).
    """
    python, variables = course_python(env)
    run_env = dict(os.environ, **variables)
    stamp = env / ".course-hub-stamp"
    want = env_stamp(python)
    if stamp.is_file() and stamp.read_text() == want:
        say(f"environment {env} is up to date")
    else:
        start = time.monotonic()
        say(f"building the class environment in {env} with {python} (the first time: a few minutes) ...")
        if not (env / "bin" / "python").exists():
            run([str(python), "-m", "venv", str(env)], env=run_env)
        with tempfile.TemporaryDirectory() as tmp:  # build from a clean copy: no stale build/
            source = Path(tmp) / "course"
            source.mkdir()
            for name in ("pyproject.toml", "README.md"):
                shutil.copy(REPO / name, source / name)
            shutil.copytree(REPO / "course_utils", source / "course_utils",
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            pip = [str(env / "bin" / "python"), "-m", "pip", "install", "--quiet",
                   "--disable-pip-version-check"]
            run_quietly([*pip, "--upgrade", "pip"], cwd=tmp, env=run_env)  # ensurepip's may be old
            run_quietly([*pip, "-c", str(REPO / "requirements.lock"), f"{source}[hub]"], cwd=tmp,
                        env=run_env)
            run_quietly([*pip, "--no-deps", "--force-reinstall", str(source)], cwd=tmp, env=run_env)
        stamp.write_text(want)
        say(f"environment built in {time.monotonic() - start:.0f} s")
    # Every user's JupyterLab: no news or update checks (offline class server), and every cell
    # kept in the page.
    settings = env / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "overrides.json").write_text(json.dumps({
        "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
        "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    }, indent=1))
    # The instructor grades the whole class with tools/hub/grade_class.py, which the repository
    # (closed to the class) holds: the image carries it, on every user's PATH.
    tool = env / "bin" / GRADE_CLASS_TOOL
    tool.write_text(f"#!{env / 'bin' / 'python'}\n" + (HERE / "grade_class.py").read_text())
    tool.chmod(0o755)
    return variables


def ensure_proxy() -> None:
    if PROXY.exists():
        return
    if not shutil.which("npm"):
        fail("configurable-http-proxy needs Node.js and npm: apt-get install nodejs npm")
    say("installing configurable-http-proxy from npm into tools/hub/node_modules ...")
    run_quietly(["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(HERE)])


# -- users, course, exchange, role config --------------------------------------------------------

def create_user(name: str, home: Path, state: dict, layout: Layout) -> None:
    if user_exists(name):
        fail(f"a user named {name!r} already exists and make hub did not create it: choose "
             "another HUB_PREFIX (e.g. make hub HUB_PREFIX=demo-)")
    state["created_users"].append(name)  # recorded first: down removes it even if we stop here
    layout.save(state)
    run(["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/bash",
         "--user-group", "--comment", "neural-seq-models demo hub", name])
    home.chmod(0o700)


def chown_tree(path: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    for folder, dirs, files in os.walk(path):
        for name in [folder, *(os.path.join(folder, f) for f in dirs + files)]:
            os.lchown(name, entry.pw_uid, entry.pw_gid)


def make_course(layout: Layout, state: dict) -> Path:
    instructor = state["instructor"]
    course = layout.home / instructor / state["course_id"]
    shutil.copytree(COURSE, course, ignore=shutil.ignore_patterns(*COURSE_STATE))
    chown_tree(course, instructor)
    course.chmod(0o700)
    return course


def make_exchange(layout: Layout, state: dict) -> None:
    layout.exchange.mkdir(parents=True, exist_ok=True)
    layout.exchange.chmod(0o1777)  # everyone writes; nobody deletes what others made
    entry = pwd.getpwnam(state["instructor"])
    course = layout.exchange / state["course_id"]
    # What the instructor's first `release_assignment` would make, plus the sticky bit on inbound
    # (nbgrader leaves folders it finds as they are).
    for folder, mode in [(course, 0o755), (course / "outbound", 0o755), (course / "inbound", 0o3733)]:
        folder.mkdir(exist_ok=True)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        folder.chmod(mode)


def write_role_config(layout: Layout, state: dict) -> None:
    exchange, cid = str(layout.exchange), state["course_id"]
    for role in ("student", "instructor"):
        folder = layout.etc / role
        (folder / "labconfig").mkdir(parents=True, exist_ok=True)
        off_lab = INSTRUCTOR_ONLY_LAB if role == "student" else []
        (folder / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": {
            "@jupyterlab/apputils-extension:announcements": True,
            **{plugin: True for plugin in off_lab}}}, indent=1))
        off_server = INSTRUCTOR_ONLY_SERVER if role == "student" else []
        (folder / "jupyter_server_config.json").write_text(json.dumps({"ServerApp": {
            "jpserver_extensions": {extension: False for extension in off_server},
            # Not a login shell: /etc/profile would reset PATH and lose the class environment.
            "terminado_settings": {"shell_command": ["/bin/bash"]}}}, indent=1))
    # Students: the course and the exchange, and submissions closed to other students.
    shutil.copy(COURSE / "nbgrader_exchange.py", layout.etc / "student" / "nbgrader_exchange.py")
    (layout.etc / "student" / "nbgrader_config.py").write_text(
        "# Written by make hub: what a hub admin puts into /etc/jupyter/nbgrader_config.py.\n"
        "import os, sys\n"
        "sys.path.insert(0, os.path.dirname(__file__))\n"
        "from nbgrader_exchange import PrivateSubmit\n\n"
        "c = get_config()\n"
        f"c.CourseDirectory.course_id = {cid!r}\n"
        f"c.Exchange.root = {exchange!r}\n"
        "c.ExchangeFactory.submit = PrivateSubmit\n")
    # The instructor: the course's own configuration (safe grading, leak-free feedback), from
    # wherever Formgrader or a terminal starts.
    (layout.etc / "instructor" / "nbgrader_config.py").write_text(
        "# Written by make hub: the instructor's nbgrader uses the course's own configuration.\n"
        "c = get_config()\n"
        f"load_subconfig({str(Path(state['course_dir']) / 'nbgrader_config.py')!r})\n"
        f"c.Exchange.root = {exchange!r}\n")
    for path in layout.etc.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    layout.etc.chmod(0o755)


def close_repository(state: dict) -> None:
    """Students must not reach the solutions through this checkout (source/ or git's objects)."""
    if others_can_reach(REPO):
        mode = stat.S_IMODE(REPO.stat().st_mode)
        state["repo_mode"] = mode
        REPO.chmod(mode & ~0o007)
        say(f"{REPO} was open to every user (it holds the solutions): closed to others "
            f"(mode {mode:o} -> {mode & ~0o007:o}); make hub-clean gives it back")
    common = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--path-format=absolute",
                             "--git-common-dir"], capture_output=True, text=True)
    git_dir = Path(common.stdout.strip()) if common.returncode == 0 else None
    if git_dir and REPO not in git_dir.parents and others_can_reach(git_dir):
        say(f"warning: this checkout's git objects live in {git_dir}, outside it and readable by "
            "every user; they hold the solutions too. Close that repository to others.")


def check_students_can_run(layout: Layout, state: dict) -> None:
    probe = "import course_utils, nbgrader, jupyterhub, jupyterlab; print('ok')"
    for user in (state["students"][0], state["instructor"]):
        result = subprocess.run([*runuser(user), str(layout.env / "bin" / "python"),
                                 "-c", probe], capture_output=True, text=True, cwd="/",
                                env={"HOME": str(layout.home / user), "PATH": "/usr/bin:/bin",
                                     **state["env_vars"]})
        if result.stdout.strip() != "ok":
            fail(f"{user} cannot run the class environment {layout.env}:\n{result.stderr[-2000:]}")


# -- up / down / status ---------------------------------------------------------------------------

def up(args) -> None:
    if os.geteuid() != 0:
        fail("make hub creates Unix users and starts JupyterHub for them: run it as root (sudo make hub)")
    os.umask(0o022)
    layout = Layout(Path(args.root), Path(args.env) if args.env else None)
    state = layout.load()
    if state and alive(state.get("hub_pid"), "jupyterhub"):
        say(f"the hub is already running at {state['url']} (make hub-clean stops it)")
        return
    if state:
        fail(f"{layout.root} holds a stopped hub: run make hub-clean first")
    for tool in ("useradd", "userdel", "node"):
        if not shutil.which(tool):
            fail(f"{tool} is missing (Debian: apt-get install passwd util-linux nodejs npm)")
    if args.students < 1:
        fail(f"--students must be at least 1, got {args.students}")
    layout.root.mkdir(parents=True, exist_ok=True)
    layout.root.chmod(0o755)
    ensure_proxy()
    env_vars = ensure_env(layout.env)

    prefix = args.prefix
    state = {
        "root": str(layout.root), "env": str(layout.env), "repo": str(REPO), "course_id": course_id(),
        "instructor": f"{prefix}instructor",
        "students": [f"{prefix}student{i}" for i in range(1, args.students + 1)],
        "ip": args.ip, "port": args.port, "hub_port": free_port(), "proxy_api_port": free_port(),
        "proxy_command": str(PROXY), "exchange": str(layout.exchange), "etc": str(layout.etc),
        "created_users": [], "repo_mode": None, "url": f"http://{args.ip}:{args.port}/",
        "env_vars": env_vars,
    }
    layout.save(state)
    try:
        close_repository(state)
        layout.save(state)
        layout.home.mkdir(exist_ok=True)
        layout.home.chmod(0o755)
        for user in [state["instructor"], *state["students"]]:
            create_user(user, layout.home / user, state, layout)
        state["course_dir"] = str(make_course(layout, state))
        make_exchange(layout, state)
        write_role_config(layout, state)
        check_students_can_run(layout, state)
        passwords = {user: secrets.token_urlsafe(9) for user in [state["instructor"], *state["students"]]}
        layout.passwords.touch(mode=0o600)
        layout.passwords.write_text(json.dumps(passwords, indent=1))
        layout.save(state)
        start_hub(layout, state)
    except BaseException:
        print(f"make hub: stopped half way; make hub-clean (hub.py down --root {layout.root}) "
              "removes what it made", file=sys.stderr)
        raise

    print(f"\nJupyterHub for the class is running at {state['url']}\n")
    print("  login                      password        role")
    for user, password in passwords.items():
        role = "instructor (Formgrader)" if user == state["instructor"] else "student (Assignments tab)"
        print(f"  {user:<26} {password:<15} {role}")
    print(f"\nFormgrader (instructor): {state['url']}user/{state['instructor']}/formgrader")
    print(f"Autograde the whole class (in the grading sandbox) from the instructor's terminal: "
          f"cd {state['course_dir']} && {GRADE_CLASS_TOOL} --course . --workers 1")
    print(f"The course directory is {state['course_dir']} (the instructor's; closed to students).")
    print("The passwords are shown only now. Stop the hub and remove the users: make hub-clean\n")


def start_hub(layout: Layout, state: dict) -> None:
    env = {
        "PATH": f"{layout.env / 'bin'}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "COURSE_HUB_STATE": str(layout.state), "CONFIGPROXY_AUTH_TOKEN": secrets.token_hex(32),
        "LANG": "C.UTF-8", **state["env_vars"],
    }
    with open(layout.log, "ab") as log:
        process = subprocess.Popen([str(layout.env / "bin" / "jupyterhub"), "-f", str(HUB_CONFIG)],
                                   cwd=layout.hub, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    state["hub_pid"] = process.pid
    layout.save(state)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            fail(f"JupyterHub exited ({process.returncode}); its log:\n{tail(layout.log)}")
        if http_ok(f"{state['url']}hub/api"):
            return
        time.sleep(0.5)
    fail(f"JupyterHub did not answer at {state['url']} within 120 s; its log:\n{tail(layout.log)}")


def tail(path: Path, chars: int = 4000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.is_file() else "(no log)"


OURS = {"env", "env-python", "hub", "home", "exchange", "etc"}


def remove_root(root: Path) -> None:
    """Remove --root, but only if everything in it is what `up` makes."""
    if not root.is_dir():
        return
    strangers = sorted(p.name for p in root.iterdir() if p.name not in OURS)
    if strangers:
        say(f"left {root} in place: it also holds {', '.join(strangers)}, which make hub did not make")
        return
    shutil.rmtree(root)


def down(args) -> None:
    layout = Layout(Path(args.root))
    state = layout.load()
    if state is None:
        say(f"no hub state under {layout.root}: nothing to stop")
        if not args.keep_root:
            remove_root(layout.root)
        return
    if os.geteuid() != 0:
        fail("make hub-clean removes Unix users: run it as root")
    stop_pid(state.get("hub_pid"), "jupyterhub", grace=30)  # it stops its servers and the proxy
    proxy_pid = layout.hub / "jupyterhub-proxy.pid"
    if proxy_pid.is_file():
        stop_pid(int(proxy_pid.read_text().strip() or 0), "configurable-http-proxy")
    for user in state["created_users"]:
        if not user_exists(user):
            continue
        stop_all(pids_of_uid(pwd.getpwnam(user).pw_uid))  # a kernel or terminal the hub left
        subprocess.run(["userdel", "--remove", user], stderr=subprocess.DEVNULL)
        if user_exists(user):
            fail(f"could not remove the user {user}")
        subprocess.run(["groupdel", user], capture_output=True)  # if userdel left the group
    if state.get("repo_mode") is not None and Path(state["repo"]).is_dir():
        Path(state["repo"]).chmod(state["repo_mode"])
        say(f"{state['repo']} has its mode {state['repo_mode']:o} back")
    env_inside = Path(state["env"]).resolve().is_relative_to(layout.root)
    for path in [layout.hub, layout.exchange, layout.etc, layout.home]:
        shutil.rmtree(path, ignore_errors=True)
    if not args.keep_root and (env_inside or not any(layout.root.iterdir())):
        remove_root(layout.root)
    say(f"stopped; removed the users {', '.join(state['created_users']) or '(none)'} and {layout.root}")


def status(args) -> None:
    layout = Layout(Path(args.root), Path(args.env) if args.env else None)
    state = layout.load()
    if state is None:
        print(f"no hub under {layout.root}")
        return
    running = alive(state.get("hub_pid"), "jupyterhub")
    print(f"hub {'running' if running else 'stopped'} at {state['url']} (pid {state.get('hub_pid')})")
    print(f"instructor: {state['instructor']}; students: {', '.join(state['students'])}")
    print(f"course directory: {state.get('course_dir')}; exchange: {state['exchange']}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("up", "down", "status"):
        command = sub.add_parser(name)
        command.add_argument("--root", default=str(DEFAULT_ROOT), help="where everything goes")
        command.add_argument("--env", default=None, help="the class environment (default ROOT/env)")
    sub.choices["up"].add_argument("--students", type=int, default=3)
    sub.choices["up"].add_argument("--prefix", default="nsm-", help="prefix of the Unix user names")
    sub.choices["up"].add_argument("--ip", default="127.0.0.1")
    sub.choices["up"].add_argument("--port", type=int, default=8000)
    sub.choices["down"].add_argument("--keep-root", action="store_true",
                                     help="leave the --root folder itself (and an env inside it)")
    args = parser.parse_args(argv)
    {"up": up, "down": down, "status": status}[args.command](args)


if __name__ == "__main__":
    main()
