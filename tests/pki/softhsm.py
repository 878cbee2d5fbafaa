"""One SoftHSM2 token for the test session (Debian's softhsm2; installed by .ci/run).

SoftHSM reads ``SOFTHSM2_CONF`` when a process first initializes the library, and
python-pkcs11 initializes it once per process, so every test shares this one token; each
test makes keys of its own labels in it.
"""

from __future__ import annotations

import functools
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.peers import peers_required, require_tool

MODULES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
)
LABEL, PIN, SO_PIN = "jitsuin-test", "24681357", "13572468"


@dataclass(frozen=True)
class Token:
    module: Path
    label: str
    pin: str
    pin_file: Path


@functools.cache
def _make_token() -> Token:
    util = require_tool("softhsm2-util")
    module = next((Path(m) for m in MODULES if Path(m).is_file()), None)
    if module is None:
        raise FileNotFoundError("libsofthsm2.so")
    home = Path(tempfile.mkdtemp(prefix="jitsuin-softhsm-"))
    (home / "tokens").mkdir()
    conf = home / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {home / 'tokens'}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        [util, "--init-token", "--free", "--label", LABEL, "--pin", PIN, "--so-pin", SO_PIN],
        check=True,
        capture_output=True,
        timeout=60,
    )
    pin_file = home / "pin"
    pin_file.write_text(PIN + "\n")
    pin_file.chmod(0o600)
    return Token(module=module, label=LABEL, pin=PIN, pin_file=pin_file)


def softhsm_token() -> Token:
    """The session's token; skips (fails under JITSUIN_REQUIRE_PEERS=1) without SoftHSM2 or
    python-pkcs11."""
    try:
        import pkcs11  # noqa: F401
    except ImportError:
        message = "python-pkcs11 is not installed (the test extra has it)"
        if peers_required():
            pytest.fail(message + " (JITSUIN_REQUIRE_PEERS=1)")
        pytest.skip(message)
    try:
        return _make_token()
    except FileNotFoundError:
        message = "SoftHSM2's libsofthsm2.so is not installed (Debian: softhsm2)"
        if peers_required():
            pytest.fail(message + " (JITSUIN_REQUIRE_PEERS=1)")
        pytest.skip(message)
