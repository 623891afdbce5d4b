"""Autograde a whole class with several workers at once: `nbgrader autograde`, spread over students.

    python tools/hub/grade_class.py --course assignments --workers 4 \\
        --db-url postgresql+psycopg://nbgrader@db-host/gradebook [--assignment ps1_perceptron_ffn ...] \\
        [--force] [-- nbgrader options, e.g. --Execute.timeout=30]

A worker is a plain `nbgrader autograde <assignment>` per assignment, run in the course root
with the course's nbgrader_config.py (so whatever that configures applies: the grading caps, the
sandbox), for its share of the students: `--CourseDirectory.student_id_exclude` names everyone
else. Shares are dealt round-robin, so every worker gets as many submissions of each assignment.

Graders take turns on a course: a second grade_class on the same course root waits until the
first is done (a lock file, `.grade_class.lock`, held for the whole run; the kernel releases it
if a grader dies), then grades what is left. Two graders on one submission at once do not
merely duplicate work: one's `--force` removes the folder the other's kernel runs in, and that
submission is saved with every test at 0 as if it were the student's result.

Only submissions that are not yet graded are handed out. A submission is graded when the
gradebook holds an automatic score for every autograded cell of each of its notebooks and the
autograded copy of every notebook it submitted exists. nbgrader alone skips a submission whose
autograded folder exists, even when a killed grader left it half done; here such a submission
is graded again (`--force` on that one only). So a rerun after a crash, or after two graders
collided, completes the class: no grade is lost, and the gradebook's keys (one submission per
student and assignment, one grade per cell) keep duplicates out. At the end the whole class is
checked again; the exit code is 1 while any submission is not graded.

SQLite takes one grading process at a time: more than one worker needs a database server
(PostgreSQL; tools/hub/postgres.py starts a private one for trying it out).
"""

from __future__ import annotations

import argparse
import datetime
import fcntl
import os
import runpy
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path


def course_db_url(course: Path) -> str:
    """The gradebook URL that the course's own nbgrader_config.py sets."""
    from traitlets.config import Config

    config = Config()
    runpy.run_path(str(course / "nbgrader_config.py"), init_globals={"get_config": lambda: config})
    return config.CourseDirectory.db_url


def submitted(course: Path, assignments: list[str] | None) -> dict[str, list[str]]:
    """{assignment: [students who submitted it]} from submitted/<student>/<assignment>/."""
    found = defaultdict(list)
    for folder in sorted((course / "submitted").glob("*/*")):
        if folder.is_dir() and (assignments is None or folder.name in assignments):
            found[folder.name].append(folder.parent.name)
    return dict(found)


def is_graded(gradebook, course: Path, assignment: str, student: str) -> bool:
    from nbgrader.api import MissingEntry

    try:
        submission = gradebook.find_submission(assignment, student)
    except MissingEntry:
        return False
    for notebook in submission.notebooks:
        if any(g.auto_score is None for g in notebook.grades if g.cell.cell_type == "code"):
            return False  # created by autograde, not scored yet: a grader stopped in the middle
        name = f"{notebook.name}.ipynb"
        handed_in = (course / "submitted" / student / assignment / name).is_file()
        if handed_in and not (course / "autograded" / student / assignment / name).is_file():
            return False
    return True


def pending(course: Path, db_url: str, assignments: list[str] | None) -> dict[str, list[str]]:
    """{assignment: [students whose submission is not graded yet]}."""
    from nbgrader.api import Gradebook, MissingEntry

    todo = {}
    with Gradebook(db_url) as gradebook:
        for assignment, students in submitted(course, assignments).items():
            try:
                gradebook.find_assignment(assignment)
            except MissingEntry:
                raise SystemExit(f"grade_class: assignment {assignment!r} is not in the gradebook "
                                 f"{db_url}: run `nbgrader generate_assignment {assignment}` first"
                                 ) from None
            left = [s for s in students if not is_graded(gradebook, course, assignment, s)]
            if left:
                todo[assignment] = left
    return todo


def deal(todo: dict[str, list[str]], workers: int) -> list[dict[str, list[str]]]:
    """Round-robin shares: worker k gets the k-th, (k+workers)-th, ... submission."""
    shares = [defaultdict(list) for _ in range(workers)]
    index = 0
    for assignment in sorted(todo):
        for student in sorted(todo[assignment]):
            shares[index % workers][assignment].append(student)
            index += 1
    return [dict(share) for share in shares]


class Worker(threading.Thread):
    """Runs its share, one `nbgrader autograde` per assignment, one after the other."""

    def __init__(self, number, share, everyone, course, db_url, extra, log_dir, lock):
        super().__init__(daemon=True)
        self.number, self.share, self.everyone = number, share, everyone
        self.course, self.db_url, self.extra, self.lock = course, db_url, extra, lock
        self.log_path = log_dir / f"worker-{number}.log"
        self.process: subprocess.Popen | None = None
        self.failures: list[str] = []
        self.stopping = False

    def command(self, assignment: str, students: list[str]) -> list[str]:
        others = sorted(set(self.everyone[assignment]) - set(students))
        command = [sys.executable, "-m", "nbgrader", "autograde", assignment, "--force",
                   f"--CourseDirectory.db_url={self.db_url}"]
        if others:
            command.append(f"--CourseDirectory.student_id_exclude={','.join(others)}")
        return command + self.extra

    def run(self) -> None:
        env = dict(os.environ)
        # nbgrader runs `alembic` by name: the environment's bin first.
        env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
        for assignment, students in sorted(self.share.items()):
            if self.stopping:
                return
            with open(self.log_path, "a") as log, self.lock:
                self.process = subprocess.Popen(self.command(assignment, students), cwd=self.course,
                                                env=env, stdout=log, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, start_new_session=True)
                print(f"worker {self.number}: pid {self.process.pid}: nbgrader autograde {assignment} "
                      f"({len(students)} submissions)", flush=True)
            if self.process.wait() != 0:
                self.failures.append(f"{assignment} (exit {self.process.returncode})")

    def stop(self) -> None:
        """End this worker's nbgrader (and its kernel) by its process group, the worker's PID."""
        self.stopping = True
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)


def take_turn(course: Path):
    """An exclusive lock on the course's grading; waits (and says so) while another grader holds it."""
    handle = open(course / ".grade_class.lock", "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        print(f"grade_class: another grader is at work on this course ({handle.read().strip()}); "
              "waiting for it to finish", flush=True)
        fcntl.flock(handle, fcntl.LOCK_EX)
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()} on {os.uname().nodename}, since {datetime.datetime.now():%H:%M:%S}")
    handle.flush()
    return handle


def grade(course: Path, workers: int, db_url: str, assignments: list[str] | None, force: bool,
          extra: list[str], log_dir: Path) -> int:
    if workers < 1:
        raise SystemExit(f"grade_class: --workers must be at least 1, got {workers}")
    if workers > 1 and db_url.startswith("sqlite"):
        raise SystemExit(
            f"grade_class: --workers {workers} needs a database server, but the gradebook is SQLite "
            f"({db_url}), which takes one grading process at a time. Give --db-url "
            "postgresql+psycopg://USER@HOST/DB (docs/instructors.md), or --workers 1.")
    lock = take_turn(course)  # held until this process ends
    everyone = submitted(course, assignments)
    todo = everyone if force else pending(course, db_url, assignments)
    count = sum(len(s) for s in todo.values())
    total = sum(len(s) for s in everyone.values())
    print(f"grade_class: {count} of {total} submissions to grade, {workers} workers, "
          f"gradebook {db_url.split('?')[0]}", flush=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    print_lock = threading.Lock()
    crew = [Worker(k, share, everyone, course, db_url, extra, log_dir, print_lock)
            for k, share in enumerate(deal(todo, workers)) if share]

    def stop_all(signum, frame):
        for worker in crew:
            worker.stop()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop_all)
    signal.signal(signal.SIGINT, stop_all)
    start = time.monotonic()
    for worker in crew:
        worker.start()
    for worker in crew:
        worker.join()
    seconds = time.monotonic() - start
    left = pending(course, db_url, assignments)
    missing = sum(len(s) for s in left.values())
    rate = 60 * (count - missing) / seconds if seconds > 0 else 0.0
    print(f"grade_class: graded {count - missing} submissions in {seconds:.1f} s "
          f"({rate:.1f} per minute, {workers} workers); logs in {log_dir}", flush=True)
    for worker in crew:
        for failure in worker.failures:
            print(f"grade_class: worker {worker.number}: nbgrader autograde {failure}; "
                  f"see {worker.log_path}", flush=True)
    lock.close()
    if missing:
        listing = "; ".join(f"{a}: {', '.join(s)}" for a, s in sorted(left.items()))
        print(f"grade_class: {missing} submissions are not graded ({listing}): run again", flush=True)
        return 1
    return 0


def main(argv=None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--course", default="assignments", help="the nbgrader course root")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db-url", default=None, help="gradebook URL (default: the course config's)")
    parser.add_argument("--assignment", action="append", default=None, help="repeatable; default all")
    parser.add_argument("--force", action="store_true", help="grade every submission again")
    parser.add_argument("--log-dir", default=None, help="default: COURSE/autograde-logs/<run>")
    args = parser.parse_args(argv)
    course = Path(args.course).resolve()
    if not (course / "nbgrader_config.py").is_file():
        raise SystemExit(f"grade_class: --course {course} is not a course root (no nbgrader_config.py)")
    db_url = args.db_url or course_db_url(course)
    run_name = f"{datetime.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}"
    log_dir = Path(args.log_dir) if args.log_dir else course / "autograde-logs" / run_name
    raise SystemExit(grade(course, args.workers, db_url, args.assignment, args.force, extra, log_dir))


if __name__ == "__main__":
    main()
