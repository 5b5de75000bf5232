"""The crypt4gh envelope: archive key pair handling and streaming encryption/decryption."""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

ARCHIVE_SECRET_KEY = "archive.c4gh.sec"
ARCHIVE_PUBLIC_KEY = "archive.c4gh.pub"


@dataclass(frozen=True)
class ArchiveKeys:
    """The instance's crypt4gh key pair; the secret key never leaves the server."""

    secret_key: bytes
    public_key: bytes

    def __repr__(self) -> str:
        return "ArchiveKeys(<hidden>)"


def generate_archive_keys(secrets_dir: Path) -> None:
    """Write a new crypt4gh key pair (no passphrase; protected by file mode 0600 and the host)."""
    from crypt4gh.keys import c4gh

    secret_path, public_path = secrets_dir / ARCHIVE_SECRET_KEY, secrets_dir / ARCHIVE_PUBLIC_KEY
    old_umask = os.umask(0o077)
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # crypt4gh warns that the key has no passphrase
            c4gh.generate(str(secret_path), str(public_path), passphrase=b"", comment=b"genomdb archive")
    finally:
        os.umask(old_umask)
    secret_path.chmod(0o600)
    public_path.chmod(0o600)


def load_archive_keys(secrets_dir: Path) -> ArchiveKeys:
    from crypt4gh.keys import get_private_key, get_public_key

    # crypt4gh prints a warning on every load that the key has no passphrase; it is protected by mode 0600 instead
    with contextlib.redirect_stderr(io.StringIO()):
        secret = get_private_key(str(secrets_dir / ARCHIVE_SECRET_KEY), lambda: "")
    public = get_public_key(str(secrets_dir / ARCHIVE_PUBLIC_KEY))
    return ArchiveKeys(secret_key=secret, public_key=public)


def encrypt_stream(source: BinaryIO, target: BinaryIO, *, sender: ArchiveKeys, recipient_public_key: bytes) -> None:
    from crypt4gh import lib

    lib.encrypt([(0, sender.secret_key, recipient_public_key)], source, target)


def decrypt_stream(source: BinaryIO, target: BinaryIO, *, keys: ArchiveKeys) -> None:
    from crypt4gh import lib

    lib.decrypt([(0, keys.secret_key, None)], source, target)
