"""Write requirements.lock from the packages installed in the running environment.

Run it through `make lock` after changing a pin on purpose; the test suite then checks that
environment.yml and pyproject.toml's ranges agree with the new lock.
"""

import re
import subprocess
import sys
from pathlib import Path

HEADER = (
    "# The exact course environment: every package make installs, at one version each.\n"
    "# Regenerate with: make lock   (then check environment.yml: tests/test_environment.py"
    " compares them)\n"
)


def main() -> None:
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
        check=True, capture_output=True, text=True,
    ).stdout.splitlines()
    lines = []
    for line in frozen:
        if not line or line.startswith("#") or line.lower().startswith("course-utils"):
            continue
        # A local label such as +cpu names a wheel index, not a version: keep the version.
        lines.append(re.sub(r"^(torch==[0-9.]+)\+\w+$", r"\1", line))
    lines.sort(key=str.lower)
    Path("requirements.lock").write_text(HEADER + "\n".join(lines) + "\n", encoding="utf8")
    print(f"requirements.lock: {len(lines)} packages")


if __name__ == "__main__":
    main()
