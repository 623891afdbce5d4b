"""The course's exchange: nbgrader's release/submit/collect, closed between students.

nbgrader's own exchange keeps students apart only by hiding names: a submission folder is
`<student>+<assignment>+<time>+<random>` in an inbound folder that students cannot list, but
the folder itself is world-writable (0777) and its files world-readable, and `collect` takes
a folder named after student A even when student B made it (it only logs "cheating
attempt?"). Whoever learns or guesses a name can read, replace or forge a submission.

- `PrivateSubmit` (the students' side) makes each submission readable by its owner and the
  instructors' group only: nbgrader's inbound folder is setgid to the instructor's group, so
  that group owns every submission and the other students get no permission at all.
- `OwnerCheckedCollect` (the instructor's side) collects only the submissions that the
  student's own account made (or the grader's own account, e.g. a TA who files a submission
  received by e-mail); any other is skipped with a warning that names both accounts.

Both are switched on by configuration: `OwnerCheckedCollect` by nbgrader_config.py beside this
file; `PrivateSubmit` by the students' nbgrader_config.py, which a JupyterHub admin puts into
/etc/jupyter beside a copy of this file (`make hub` does; see docs/instructors.md).
"""

from __future__ import annotations

import getpass
import glob
import os
import pwd

from nbgrader.exchange.default.collect import ExchangeCollect, groupby
from nbgrader.exchange.default.submit import ExchangeSubmit

OTHERS = 0o007  # the permission bits of users who are neither the owner nor in the group
SUBMISSION_FOLDER_MODE = 0o770  # the student and the instructors' group


class PrivateSubmit(ExchangeSubmit):
    """nbgrader's submit, with no permission for other students on the submission."""

    def set_perms(self, dest, fileperms, dirperms):
        super().set_perms(dest, fileperms & ~OTHERS, dirperms & ~OTHERS)

    def do_copy(self, src, dest, log=None):
        if os.path.dirname(os.path.abspath(dest)) != os.path.abspath(self.inbound_path):
            return super().do_copy(src, dest, log)  # the student's own cache
        # copytree gives the new folder the mode of the student's folder, which drops the setgid
        # bit it inherited from inbound; the files nbgrader writes next (timestamp, secret) would
        # then belong to the student's group, unreadable to the instructor. So: copy into a
        # staging folder, and move its content into a folder made plainly (setgid kept).
        staging = dest + ".copying"
        super().do_copy(src, staging, log)
        os.mkdir(dest)
        for name in os.listdir(staging):
            os.rename(os.path.join(staging, name), os.path.join(dest, name))
        os.rmdir(staging)

    def copy_files(self):
        super().copy_files()
        # nbgrader ends by making the submission folder 0777 "so the instructor can delete it
        # later"; the instructors' group can, through the group bits.
        os.chmod(os.path.join(self.inbound_path, self.assignment_filename), SUBMISSION_FOLDER_MODE)


def owner_of(path: str) -> str:
    uid = os.stat(path).st_uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


class OwnerCheckedCollect(ExchangeCollect):
    """nbgrader's collect, except that a submission made by another account is skipped."""

    def init_src(self):
        super().init_src()  # checks the inbound folder, reads the due date, picks per student
        student_id = self.coursedir.student_id if self.coursedir.student_id else "*"
        pattern = os.path.join(self.inbound_path, f"{student_id}+{self.coursedir.assignment_id}+*")
        records = [self._path_to_record(path) for path in glob.glob(pattern)]
        genuine = [record for record in records if self._made_by_student(record)]
        by_student = groupby(genuine, lambda r: r["username"])
        self.src_records = [self._choose(group) for group in by_student.values()]

    def _made_by_student(self, record: dict) -> bool:
        owner = owner_of(os.path.join(self.inbound_path, record["filename"]))
        if owner in (record["username"], getpass.getuser()):
            return True
        self.log.warning("Skipped %s: it claims to come from %s but the account %s made it.",
                         record["filename"], record["username"], owner)
        return False

    def _choose(self, records: list[dict]) -> dict:
        """The newest submission, or with `before_duedate` the newest one on time (as nbgrader)."""
        newest_first = self._sort_by_timestamp(records)
        if self.duedate is not None and self.before_duedate:
            on_time = [r for r in newest_first if r["timestamp"] <= self.duedate]
            if on_time:
                return on_time[0]
        return newest_first[0]
