"""assignments/nbgrader_exchange.py: submissions closed to other students, forged ones skipped.

The real thing, between real Unix users on a hub, is in tests/test_hub.py (make test-hub);
these are the quick checks on one machine account, in make test.
"""

import os
import pwd
import shutil

import pytest

from nbgrader_helpers import copy_course, run_nbgrader

PS1 = "ps1_perceptron_ffn"


@pytest.fixture
def released(tmp_path):
    course = copy_course(tmp_path)
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o1777)
    env = {"NBGRADER_EXCHANGE": str(exchange)}
    run_nbgrader(course, "generate_assignment", PS1, env=env)
    run_nbgrader(course, "release_assignment", PS1, env=env)
    return course, exchange, env


def student_home(tmp_path, exchange, student):
    home = tmp_path / "home" / student
    (home / ".jupyter-config").mkdir(parents=True)
    shutil.copy(tmp_path / "course" / "nbgrader_exchange.py", home / ".jupyter-config")
    (home / ".jupyter-config" / "nbgrader_config.py").write_text(
        "import os, sys\n"
        "sys.path.insert(0, os.path.dirname(__file__))\n"
        "from nbgrader_exchange import PrivateSubmit\n"
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'neural-seq-models'\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        f"c.CourseDirectory.student_id = {student!r}\n"
        "c.ExchangeFactory.submit = PrivateSubmit\n")
    return home


def test_a_submission_gives_other_users_no_permission(released, tmp_path):
    course, exchange, _ = released
    home = student_home(tmp_path, exchange, "alice")
    run_nbgrader(home, "fetch_assignment", PS1, home=home)
    run_nbgrader(home, "submit", PS1, home=home)
    inbound = exchange / "neural-seq-models" / "inbound"
    (submission,) = inbound.iterdir()
    assert submission.stat().st_mode & 0o777 == 0o770, oct(submission.stat().st_mode)
    for path in submission.rglob("*"):
        assert path.stat().st_mode & 0o007 == 0, f"{path.name}: {oct(path.stat().st_mode)}"
        # every file belongs to the inbound folder's group (the instructor's), which reads it
        assert path.stat().st_gid == inbound.stat().st_gid, path.name
    assert {p.name for p in submission.iterdir()} >= {f"{PS1}.ipynb", "timestamp.txt",
                                                     "submission_secret.txt"}
    assert not list(inbound.glob("*.copying")), "the staging folder is gone"


def test_collect_skips_a_submission_made_by_another_account(released, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("making a file owned by another account needs root")
    course, exchange, env = released
    home = student_home(tmp_path, exchange, "alice")
    run_nbgrader(home, "fetch_assignment", PS1, home=home)
    run_nbgrader(home, "submit", PS1, home=home)
    inbound = exchange / "neural-seq-models" / "inbound"
    (genuine,) = inbound.iterdir()
    forged = inbound / f"alice+{PS1}+2099-01-01 00:00:00.000000 UTC+forged"
    shutil.copytree(genuine, forged)
    (forged / "timestamp.txt").write_text("2099-01-01 00:00:00.000000 UTC")
    nobody = pwd.getpwnam("nobody")
    for path in [forged, *forged.rglob("*")]:
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    result = run_nbgrader(course, "collect", PS1, env=env)
    log = result.stdout + result.stderr
    assert "claims to come from alice but the account nobody made it" in log
    collected = (course / "submitted" / "alice" / PS1 / "timestamp.txt").read_text()
    assert collected == (genuine / "timestamp.txt").read_text() != "2099-01-01 00:00:00.000000 UTC"
