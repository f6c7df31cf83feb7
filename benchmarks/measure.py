"""Run a command in a child process and measure what a user pays: wall time and peak memory."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Linux reports ru_maxrss in kilobytes.
KB_PER_MB = 1024


@dataclass
class Run:
    seconds: float
    peak_mb: float  # the child's peak resident set (and that of any process it waited for)
    cpu_seconds: float  # user + system time: what the work costs whatever else the machine runs
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def python(*args: str) -> list[str]:
    """A command running this interpreter (the venv's), so children see the same packages."""
    return [sys.executable, *args]


def measured(command: list[str], log: Path, env: dict | None = None, memory_limit_gb: float | None = None) -> Run:
    """Run ``command`` from the repository root; its output goes to ``log``.

    ``os.wait4`` returns the rusage of this one child, so each variant's peak is its own (the
    RUSAGE_CHILDREN total would carry the largest earlier child's peak into every later one).
    ``memory_limit_gb`` caps the child's address space, so a variant that would exhaust the
    machine fails alone instead of waking the kernel's OOM killer on other processes.
    """
    def limit() -> None:
        if memory_limit_gb:
            size = int(memory_limit_gb * 1024**3)
            resource.setrlimit(resource.RLIMIT_AS, (size, size))

    started = time.perf_counter()
    with log.open("w") as out:
        child = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=out,
                                 stderr=subprocess.STDOUT, preexec_fn=limit)
        _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting again
    return Run(seconds, usage.ru_maxrss / KB_PER_MB, usage.ru_utime + usage.ru_stime, child.returncode,
               log.read_text(errors="replace"))
