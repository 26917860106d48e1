"""How a study is served: the ``colorization-web`` flags that are not part of the study's
identity (they may change between starts of one study), checked before anything loads."""

from __future__ import annotations

import dataclasses
import re

from colorization_tf.web import admin, colorize_api, limits

_URL = re.compile(r"https?://[^\s\"'<>]{1,2000}")


@dataclasses.dataclass(frozen=True)
class ServerOptions:
    """``admin_token``: the experimenter's token; ``colorize_page``: serve the editor too;
    ``https`` / ``forwarded_allow_ips``: Secure cookies, trusted proxies; the crowd
    platform's ``completion_code`` and ``completion_url``; ``max_participants`` (0: no
    limit) and ``new_sessions_per_hour`` per address; ``uploads``: the editor's bounds."""

    admin_token: str
    colorize_page: bool = False
    https: bool = False
    forwarded_allow_ips: tuple[str, ...] = ()
    completion_code: str = ""
    completion_url: str = ""
    max_participants: int = 0
    new_sessions_per_hour: int = limits.NEW_SESSIONS_PER_HOUR
    uploads: colorize_api.UploadLimits = colorize_api.UploadLimits()

    def validate(self) -> None:
        """Raises ValueError naming the flag whose value cannot work."""
        if len(self.admin_token) < admin.MIN_LENGTH:
            raise ValueError(f"--admin_token: expected at least {admin.MIN_LENGTH} characters")
        if self.completion_url and not _URL.fullmatch(self.completion_url):
            raise ValueError(f"--completion_url={self.completion_url}: expected an http(s) URL")
        if len(self.completion_code) > 200 or not self.completion_code.isprintable():
            raise ValueError("--completion_code: expected up to 200 printable characters")
        if self.max_participants < 0:
            raise ValueError(f"--max_participants={self.max_participants}: expected >= 0 "
                             "(0: no limit)")
        if self.new_sessions_per_hour < 1:
            raise ValueError(f"--new_sessions_per_hour={self.new_sessions_per_hour}: "
                             "expected >= 1")
        self.uploads.validate()
