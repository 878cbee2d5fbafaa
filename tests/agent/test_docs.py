"""The systemd units in docs/relying-parties.md run a command the agent accepts."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from jitsuin.agent.command import parser

DOCS = Path(__file__).resolve().parents[2] / "docs" / "relying-parties.md"


def block(name: str) -> str:
    match = re.search(rf"<!-- test: {name} -->\n```[a-z]*\n(.*?)\n```", DOCS.read_text(), re.S)
    assert match, name
    return match.group(1)


def test_the_documented_service_runs_one_shot_sync_with_a_reload():
    unit = block("agent-service")
    assert "Type=oneshot" in unit
    (line,) = [x for x in unit.splitlines() if x.startswith("ExecStart=")]
    program, group, *args = shlex.split(line.removeprefix("ExecStart="))
    assert (program, group) == ("/opt/jitsuin/bin/jitsuin", "relying-party")
    parsed = parser().parse_args(args)
    assert parsed.command == "sync" and parsed.interval is None
    assert parsed.reload_command == "systemctl restart freeradius"
    assert str(parsed.dir) == "/etc/jitsuin"  # the directory the documented eap module reads


def test_the_documented_timer_repeats():
    timer = block("agent-timer")
    assert "OnUnitActiveSec=2min" in timer and "WantedBy=timers.target" in timer
