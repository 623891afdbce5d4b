"""A demo class on a real JupyterHub (tools/hub/hub.py), and a person's hands in its browser.

`ClassHub` starts the hub exactly as `make hub` does (same script), with its own root, port
and user-name prefix so that it never meets a `make hub` running beside it; it shares the
class environment (the "image", built once). It runs commands as a class member with
`runuser`, and stops everything (`hub.py down`) at the end.

The browser part drives what a student or an instructor clicks: the hub's login page,
JupyterLab's Nbgrader menu and Assignments tab, a notebook's cells, Formgrader's buttons.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conftest import IN_CI, ROOT, free_port

HUB_SCRIPT = ROOT / "tools" / "hub" / "hub.py"
SHARED_ENV = Path(os.environ.get("COURSE_HUB_ENV", "/srv/neural-seq-models-hub/env"))
PREFIX = "nsmt-"  # not make hub's "nsm-": the test's users never collide with a demo's
PS1 = "ps1_perceptron_ffn"
LAB_READY = ".jp-LabShell"


def root_or_skip():
    import pytest

    if os.geteuid() == 0 and shutil.which("useradd"):
        return
    message = "the hub tests create Unix users: run them as root (make test-hub)"
    if IN_CI:
        pytest.fail(message + " — required when CI=true")
    pytest.skip(message)


class ClassHub:
    def __init__(self, students: int = 3):
        self.students_count = students
        # Under /tmp but open to the class's users (pytest's tmp_path is 0700 to root).
        self.root = Path(tempfile.mkdtemp(prefix="nsm-hub-test-", dir="/tmp"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.output = ""

    def hub(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, str(HUB_SCRIPT), *args, "--root", str(self.root)],
                                capture_output=True, text=True, timeout=1800)
        if check and result.returncode != 0:
            raise AssertionError(f"hub.py {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
        return result

    def start(self) -> ClassHub:
        result = self.hub("up", "--env", str(SHARED_ENV), "--prefix", PREFIX,
                          "--students", str(self.students_count), "--port", str(self.port))
        self.output = result.stdout
        self.state = json.loads((self.root / "hub" / "hub.json").read_text())
        self.passwords = json.loads((self.root / "hub" / "passwords.json").read_text())
        self.url = self.state["url"].rstrip("/")
        return self

    def stop(self) -> subprocess.CompletedProcess:
        return self.hub("down")

    @property
    def instructor(self) -> str:
        return self.state["instructor"]

    @property
    def students(self) -> list[str]:
        return self.state["students"]

    @property
    def course(self) -> Path:
        return Path(self.state["course_dir"])

    @property
    def exchange(self) -> Path:
        return Path(self.state["exchange"]) / self.state["course_id"]

    def home(self, user: str) -> Path:
        return self.root / "home" / user

    def as_user(self, user: str, *command: str, cwd: Path | None = None,
                check: bool = False, timeout: int = 300) -> subprocess.CompletedProcess:
        """`command` as `user` (runuser), in their HOME, with the class environment on PATH and
        the role's Jupyter config, as their server would have it."""
        role = "instructor" if user == self.instructor else "student"
        env = {
            "HOME": str(self.home(user)), "USER": user, "LANG": "C.UTF-8",
            "PATH": f"{self.state['env']}/bin:/usr/local/bin:/usr/bin:/bin",
            "JUPYTER_CONFIG_PATH": str(Path(self.state["etc"]) / role),
            "NBGRADER_EXCHANGE": self.state["exchange"], **self.state["env_vars"],
        }
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        result = subprocess.run([runuser, "-u", user, "--", *command], cwd=cwd or self.home(user),
                                env=env, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"{user}: {' '.join(command)} failed ({result.returncode}):\n"
                                 f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    def nbgrader(self, user: str, *args: str, cwd: Path | None = None, check: bool = True):
        return self.as_user(user, f"{self.state['env']}/bin/nbgrader", *args, cwd=cwd, check=check)


# -- a person in the browser ------------------------------------------------------------------

class Person:
    """One user's browser context (their own cookies), logged in to the hub."""

    def __init__(self, browser, hub: ClassHub, user: str, shots: Path):
        self.hub, self.user, self.shots = hub, user, shots
        self.context = browser.new_context(viewport={"width": 1400, "height": 900}, timezone_id="UTC")
        self.page = self.context.new_page()
        self.page.set_default_timeout(60_000)

    def shot(self, name: str) -> None:
        self.shots.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.shots / f"{name}.png"))

    def login(self) -> None:
        page = self.page
        page.goto(f"{self.hub.url}/hub/login")
        page.fill("input[name=username]", self.user)
        page.fill("input[name=password]", self.hub.passwords[self.user])
        page.click("input[type=submit], button[type=submit]")
        page.wait_for_selector(LAB_READY, timeout=240_000)  # the hub spawns their server
        page.wait_for_selector(".lm-MenuBar-itemLabel >> text=Nbgrader")

    def server(self, path: str = "") -> str:
        return f"{self.hub.url}/user/{self.user}/{path}"

    def open_menu(self, title: str) -> None:
        """Open a menu of the menu bar (a click on a menu left open would close it)."""
        self.close_menus()
        self.page.locator(".lm-MenuBar-itemLabel", has_text=title).click()
        self.page.locator(".lm-Menu").first.wait_for()

    def close_menus(self) -> None:
        """Escape, sent to the open menu itself: on a loaded machine a plain key press can reach
        the page before the menu has the focus, and the menu stays open."""
        menus = self.page.locator(".lm-Menu")
        deadline = time.monotonic() + 30
        while menus.count():
            assert time.monotonic() < deadline, f"{self.user}: a menu does not close"
            try:
                menus.first.press("Escape", timeout=5_000)
            except Exception:  # closed in the meantime
                pass
            time.sleep(0.3)

    def nbgrader_menu(self) -> list[str]:
        self.open_menu("Nbgrader")
        items = [t for t in self.page.locator(".lm-Menu-itemLabel:visible").all_inner_texts() if t.strip()]
        self.close_menus()
        return items

    def close(self) -> None:
        self.context.close()


class Student(Person):
    """The Assignments tab (nbgrader's assignment list) and the notebook."""

    def assignments_tab(self) -> None:
        page = self.page
        self.open_menu("Nbgrader")
        page.locator(".lm-Menu-itemLabel", has_text="Assignment List").click()
        page.wait_for_selector("#released_assignments_list_loading", state="hidden")

    def fetch(self, assignment: str) -> None:
        self.assignments_tab()
        row = self.page.locator("#released_assignments_list .list_item", has_text=assignment)
        row.locator("button", has_text="Fetch").click()
        self.page.locator("#fetched_assignments_list .list_item", has_text=assignment).first.wait_for()

    def open_notebook(self, assignment: str) -> None:
        page = self.page
        self.assignments_tab()
        item = page.locator("#fetched_assignments_list > .list_item", has_text=assignment)
        item.locator("a.assignment-notebooks-link").click()
        item.locator(".nested_list_item .item_name a", has_text=assignment).click()
        page.wait_for_selector(".jp-NotebookPanel:visible .jp-Cell")
        self.wait_for_kernel()

    def wait_for_kernel(self, timeout: float = 120) -> None:
        status = self.page.locator(".jp-NotebookPanel:visible .jp-Notebook-ExecutionIndicator")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if status.count() and status.first.get_attribute("data-status") == "idle":
                return
            time.sleep(0.3)

    def write_cell(self, index: int, text: str, markdown: bool = False) -> None:
        """Replace cell `index`'s text as typed (inserted whole: no auto-indent, no auto-close)."""
        page = self.page
        cell = page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell").nth(index)
        cell.scroll_into_view_if_needed()
        if markdown:
            cell.locator(".jp-MarkdownOutput").dblclick()
        editor = cell.locator(".cm-content")
        editor.click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(text)
        page.keyboard.press("Escape")  # back to command mode

    def save(self, path: Path, must_contain: str, timeout: float = 30) -> None:
        """Ctrl+S, then wait until the file on disk holds what was typed."""
        self.page.keyboard.press("Control+s")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if path.is_file() and must_contain in path.read_text(encoding="utf-8"):
                return
            time.sleep(0.3)
        raise AssertionError(f"{self.user}: the notebook was not saved with the new answers")

    def submit(self, assignment: str) -> None:
        page = self.page
        self.assignments_tab()
        submitted = page.locator("#submitted_assignments_list .nested_list_item")
        before = submitted.count()
        row = page.locator("#fetched_assignments_list > .list_item", has_text=assignment)
        row.locator(".item_status button", has_text="Submit").click()
        deadline = time.monotonic() + 60
        while submitted.count() <= before:
            assert time.monotonic() < deadline, f"{self.user}: the submission did not appear"
            time.sleep(0.3)

    def fetch_feedback(self, assignment: str) -> None:
        page = self.page
        self.assignments_tab()
        row = page.locator("#submitted_assignments_list > .list_item", has_text=assignment)
        row.locator("button", has_text="Fetch Feedback").click()
        page.locator("#submitted_assignments_list", has_text="view feedback").wait_for(timeout=60_000)


class Instructor(Person):
    """Formgrader, in its own browser tab (JupyterHub forbids framing a user's server)."""

    def formgrader(self, path: str = "manage_assignments") -> None:
        self.page.goto(self.server(f"formgrader/{path}"))
        self.page.wait_for_load_state("networkidle")

    def row(self, assignment: str):
        return self.page.locator("#main-table tr", has=self.page.locator("td.name", has_text=assignment))

    def click_and_confirm(self, button, timeout: float = 600_000) -> str:
        """Click a Formgrader action and close its result dialog; the dialog's text."""
        button.click()
        modal = self.page.locator(".modal.in")
        modal.wait_for(timeout=timeout)
        title = modal.locator(".modal-title").inner_text()
        text = modal.locator(".modal-body").inner_text()
        assert title != "Error", f"Formgrader reported an error:\n{text[-3000:]}"
        modal.locator(".modal-footer button.close").click()
        modal.wait_for(state="detached")
        return text

    def set_due_date(self, assignment: str, due: str) -> None:
        """`due`: 'YYYY-MM-DDTHH:MM:SS', in UTC."""
        self.row(assignment).locator("td.edit a").click()
        modal = self.page.locator(".modal.in")
        modal.wait_for()
        modal.locator("input.modal-duedate").fill(due)
        modal.locator("input.modal-timezone").fill("+0000")
        modal.locator("button.save").click()
        modal.wait_for(state="detached")

    def grade_by_hand(self, student: str, assignment: str, cell: str, score: float) -> None:
        page = self.page
        self.formgrader(f"manage_students/{student}/{assignment}")
        page.locator("td.name a", has_text=assignment).first.click()
        page.wait_for_selector(f"input.score#{cell}")
        page.wait_for_load_state("networkidle")  # the grades are loaded and the fields bound
        field = page.locator(f"input.score#{cell}")
        field.fill(str(score))
        field.press("Tab")  # Formgrader saves a score when the field loses focus
        deadline = time.monotonic() + 30
        while True:  # saved: the page shows it again after a reload
            time.sleep(1)
            page.reload()
            page.wait_for_selector(f"input.score#{cell}")
            page.wait_for_load_state("networkidle")
            if float(page.locator(f"input.score#{cell}").input_value() or "nan") == score:
                return
            assert time.monotonic() < deadline, f"the score of {student} was not saved"

    def terminal(self, command: str) -> None:
        """Type a command into a JupyterLab terminal (File > New > Terminal)."""
        page = self.page
        page.goto(self.server("lab"))
        page.wait_for_selector(LAB_READY)
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^File$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^New$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Terminal$")).click()
        page.wait_for_selector(".jp-Terminal .xterm-screen")
        page.locator(".jp-Terminal .xterm-screen").click()
        time.sleep(1)  # the shell's prompt
        page.keyboard.type(command)
        page.keyboard.press("Enter")
