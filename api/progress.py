"""Progress of long command-line jobs: a redrawn bar on a terminal, plain log lines anywhere else."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TextIO

_BAR_WIDTH = 30
_REDRAW_SECONDS = 0.1


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class ProgressReporter:
    """Called with (phase, rows, bytes read) as a job goes through a file of `total_bytes`, phase by phase."""

    def __init__(
        self, total_bytes: int, out: TextIO, *, interactive: bool | None = None, log_every_seconds: float = 5.0
    ) -> None:
        self.total = max(total_bytes, 1)
        self.out = out
        self.interactive = out.isatty() if interactive is None else interactive
        self.log_every = log_every_seconds
        self.phase: str | None = None
        self.rows = 0
        self.done = 0
        self.started = self.last_shown = time.monotonic()

    def __call__(self, phase: str, lines: int, done_bytes: int) -> None:
        now = time.monotonic()
        if phase != self.phase:
            self.close()
            self.phase, self.started, self.last_shown = phase, now, now
        self.rows, self.done = lines, done_bytes
        if now - self.last_shown >= (_REDRAW_SECONDS if self.interactive else self.log_every):
            self.last_shown = now
            self._show(now)

    def _rate(self, now: float) -> float:
        return self.rows / max(now - self.started, 1e-9)

    def _eta(self, now: float) -> float | None:
        elapsed = now - self.started
        if self.done <= 0 or elapsed <= 0:
            return None
        return (self.total - self.done) / (self.done / elapsed)

    def _show(self, now: float, final: bool = False) -> None:
        fraction = min(self.done / self.total, 1.0)
        rate = self._rate(now)
        if self.interactive:
            filled = int(fraction * _BAR_WIDTH)
            bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
            tail = f"in {_duration(now - self.started)}" if final else f"ETA {_duration(self._eta(now))}"
            self.out.write(
                f"\r{self.phase:<9}[{bar}] {fraction:6.1%} {self.rows:>11,} rows {rate:>9,.0f} rows/s {tail}\x1b[K"
            )
            if final:
                self.out.write("\n")
        else:
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            if final:
                summary = f"done, {self.rows:,} rows in {now - self.started:.1f} s ({rate:,.0f} rows/s)"
            else:
                summary = f"{self.rows:,} rows ({fraction:.0%}), {rate:,.0f} rows/s, ETA {_duration(self._eta(now))}"
            self.out.write(f"{stamp} {self.phase}: {summary}\n")
        self.out.flush()

    def close(self) -> None:
        """Show the finished phase's totals (called again by the next phase, and once at the end)."""
        if self.phase is not None:
            self._show(time.monotonic(), final=True)
            self.phase = None
