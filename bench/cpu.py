"""CPU time used by groups of processes, read from /proc (Linux): for benchmarks to print."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def cpu_by_group(groups: dict) -> dict[str, float]:
    """CPU seconds used so far by each group: processes and their children, or the database's
    server processes (named by the database), and this process (SMTP, fake ATS, client)."""
    tick, table = os.sysconf("SC_CLK_TCK"), {}
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick,
                                      (entry / "cmdline").read_bytes().replace(b"\0", b" "))
    used = {}
    for name, members in groups.items():
        if isinstance(members, str):  # PostgreSQL's backends name their database
            used[name] = sum(cpu for _, cpu, cmd in table.values()
                             if cmd.startswith(b"postgres: ") and f" {members} ".encode() in cmd)
            continue
        family, grown = set(members), True
        while grown:
            more = {pid for pid, (parent, _, _) in table.items() if parent in family}
            grown, family = bool(more - family), family | more
        used[name] = sum(table[pid][1] for pid in family if pid in table)
    times = os.times()
    used["this process"] = times.user + times.system
    return used
