"""JupyterHub configuration of the demo class that `make hub` starts (tools/hub/hub.py).

Everything machine-specific (paths, ports, user names) comes from the state file that hub.py
writes (COURSE_HUB_STATE); the logins from passwords.json beside it (root only). For a real
deployment this file is the template: replace DemoAuthenticator by PAM or OAuth, the paths by
those of the shared filesystem (docs/instructors.md, "Running the course on a JupyterHub").
"""

import json
import os
import secrets
from pathlib import Path

from jupyterhub.auth import Authenticator

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

STATE_FILE = Path(os.environ["COURSE_HUB_STATE"])
state = json.loads(STATE_FILE.read_text())
HUB_DIR = STATE_FILE.parent
ENV_BIN = Path(state["env"]) / "bin"
PASSWORDS = json.loads((HUB_DIR / "passwords.json").read_text())


class DemoAuthenticator(Authenticator):
    """One random password per user, generated and printed once by `make hub`.

    Unlike JupyterHub's shared-password and dummy authenticators, a student's password opens
    only that student's account, so the demo keeps students apart as a real hub does.
    """

    async def authenticate(self, handler, data):
        expected = PASSWORDS.get(data.get("username", ""))
        if expected and secrets.compare_digest(data.get("password", ""), expected):
            return data["username"]
        return None


c.JupyterHub.authenticator_class = DemoAuthenticator
c.Authenticator.allowed_users = set(PASSWORDS)

# The proxy (configurable-http-proxy from npm), the hub and their state: ports chosen by hub.py.
c.JupyterHub.ip = state["ip"]
c.JupyterHub.port = state["port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = state["hub_port"]
c.ConfigurableHTTPProxy.command = [state["proxy_command"]]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{state['proxy_api_port']}"
c.ConfigurableHTTPProxy.pid_file = str(HUB_DIR / "jupyterhub-proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{HUB_DIR / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(HUB_DIR / "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every user's server
c.JupyterHub.cleanup_proxy = True

# Each user's server: a local process under their own Unix account, from the class environment.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(ENV_BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.http_timeout = 180  # JupyterLab's first start on a busy 2-core machine
c.Spawner.start_timeout = 180
c.Spawner.environment = {
    # nbgrader and the kernels run from the class environment (nbgrader calls `alembic` by name).
    "PATH": f"{ENV_BIN}:/usr/local/bin:/usr/bin:/bin",
    "NBGRADER_EXCHANGE": state["exchange"],
    "LANG": "C.UTF-8",
    **state["env_vars"],  # LD_LIBRARY_PATH when the course's Python is a copy (hub.py)
}


def role_config(spawner):
    """The instructor gets Formgrader; students the Assignments tab (etc/<role>, by hub.py)."""
    role = "instructor" if spawner.user.name == state["instructor"] else "student"
    spawner.environment = dict(spawner.environment,
                               JUPYTER_CONFIG_PATH=str(Path(state["etc"]) / role))


c.Spawner.pre_spawn_hook = role_config
