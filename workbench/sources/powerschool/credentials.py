"""The plugin's client ID and secret: from the arguments or the environment, never shown.

The app reads them from Streamlit secrets and passes them in; the core never imports streamlit.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from workbench.sources.powerschool.errors import PowerSchoolError


@dataclass(frozen=True)
class Credentials:
    """A plugin's client ID and secret; ``repr`` and ``str`` never show them."""

    client_id: str
    client_secret: str

    def __repr__(self) -> str:
        return "Credentials(client_id='***', client_secret='***')"

    __str__ = __repr__

    @property
    def secrets(self) -> tuple[str, str]:
        return (self.client_id, self.client_secret)


ENV_ID, ENV_SECRET = "PS_CLIENT_ID", "PS_CLIENT_SECRET"


def resolve_credentials(client_id: str | None = None, client_secret: str | None = None,
                        env: Mapping[str, str] | None = None) -> Credentials:
    """Credentials from the arguments, else ``PS_CLIENT_ID`` / ``PS_CLIENT_SECRET``."""
    env = os.environ if env is None else env
    cid = client_id or env.get(ENV_ID, "")
    secret = client_secret or env.get(ENV_SECRET, "")
    missing = [n for n, v in ((ENV_ID, cid), (ENV_SECRET, secret)) if not v]
    if missing:
        raise PowerSchoolError(
            f"no PowerSchool credentials: {' and '.join(missing)} not set",
            f"set {ENV_ID} and {ENV_SECRET} to the client ID and secret shown in the plugin's "
            "Data Provider Configuration")
    return Credentials(cid.strip(), secret.strip())
