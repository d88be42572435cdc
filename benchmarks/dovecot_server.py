"""A real IMAP server for the tests and `lotse bench intake`: Debian's Dovecot with a throw-away configuration.

Plain IMAP on 127.0.0.1 (no TLS), one user with a passwd-file, Maildir under a temporary folder. Run as
root, Dovecot drops to its own ``dovecot``/``dovenull`` users, so the mail folder belongs to ``dovecot``.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DOVECOT = Path("/usr/sbin/dovecot")
USER, PASSWORD = "lotse", "intake-secret"


@dataclass(frozen=True)
class Dovecot:
    host: str
    port: int
    user: str
    password: str
    maildir: Path  # the user's Maildir, for what IMAP cannot deliver (a 0-byte message)

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=60)
        client.login(self.user, self.password)
        return client

    def append(self, *messages: bytes, folder: str = "INBOX") -> None:
        client = self.client()
        try:
            for raw in messages:
                status, data = client.append(folder, None, None, raw)
                assert status == "OK", data
        finally:
            client.logout()

    def flagged(self, flag: str = "$LotseTaken") -> int:
        client = self.client()
        try:
            client.select("INBOX")
            _, data = client.uid("SEARCH", "KEYWORD", flag)
            return len(data[0].split()) if data and data[0] else 0
        finally:
            client.logout()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _owners() -> tuple[str, str, str, int, int]:
    """(internal user, internal group, login user, mail uid, mail gid) for the current user."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        group = subprocess.run(["id", "-gn"], capture_output=True, text=True, check=True).stdout.strip()
        return me.pw_name, group, me.pw_name, me.pw_uid, me.pw_gid
    dovecot = pwd.getpwnam("dovecot")
    group = subprocess.run(
        ["id", "-gn", "dovecot"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return "dovecot", group, "dovenull", dovecot.pw_uid, dovecot.pw_gid


def _config(root: Path, port: int) -> Path:
    internal, group, login, uid, gid = _owners()
    home = root / "mail" / USER
    home.mkdir(parents=True)
    for path in (root / "mail", home):
        os.chown(path, uid, gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{home}\n")
    conf = root / "dovecot.conf"
    conf.write_text(
        f"""protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = lotse-test-{port}
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = {min(uid, 500)}
first_valid_gid = {min(gid, 500)}
mail_location = maildir:~/Maildir
mail_max_userip_connections = 100
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""
    )
    return conf


@contextmanager
def running_dovecot() -> Iterator[Dovecot]:
    root = Path(tempfile.mkdtemp(prefix="lotse-dovecot-"))
    root.chmod(0o755)
    port = _free_port()
    conf = _config(root, port)
    process = subprocess.Popen(
        [str(DOVECOT), "-F", "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Dovecot("127.0.0.1", port, USER, PASSWORD, root / "mail" / USER / "Maildir")
    try:
        _wait_for(server, process, root)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


def _wait_for(server: Dovecot, process: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot exited: {log[-2000:]}")
        try:
            server.client().logout()
            return
        except (OSError, imaplib.IMAP4.error):
            time.sleep(0.2)
    raise RuntimeError("dovecot did not accept a login within 20 s")
