"""Figures of the load benchmark (benchmarks/load.py): CPU and memory of a bot process from
/proc, quantiles from Prometheus histograms, and the one table it prints."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
_BUCKET = re.compile(r'^sxsh_turn_seconds_bucket\{.*le="([^"]+)".*\}\s+(\S+)$')


@dataclass
class Proc:
    """A bot process and samples of (wall seconds, CPU seconds) taken along the run."""

    name: str
    popen: subprocess.Popen
    samples: list[tuple[float, float]] = field(default_factory=list)
    peak_kb: int = 0
    log: Path | None = None

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.log.read_text().splitlines()[-lines:]) if self.log else ""

    def sample(self) -> None:
        try:
            proc = Path(f"/proc/{self.popen.pid}")
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            status = (proc / "status").read_text()
        except OSError:
            return
        cpu = (int(stat[11]) + int(stat[12])) / TICKS  # utime + stime
        self.samples.append((time.monotonic(), cpu))
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        self.peak_kb = max(self.peak_kb, int(found.group(1)) if found else 0)

    def cpu_percent(self) -> float | None:
        """Percent of one core over the last two samples (the steady part of the run)."""
        if len(self.samples) < 2:
            return None
        (w0, c0), (w1, c1) = self.samples[-2], self.samples[-1]
        return 100 * (c1 - c0) / (w1 - w0) if w1 > w0 else None

    def peak_rss_mb(self) -> float:
        return self.peak_kb / 1024

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(30)
            except subprocess.TimeoutExpired:
                self.popen.kill()


def histogram_quantiles(
    pages: list[str], quantiles: tuple[float, ...], before: list[str] = ()
) -> dict[str, float | None]:
    """Quantiles in milliseconds of `sxsh_turn_seconds` summed over the scraped pages (every
    process and channel) less the counts in `before` (scraped when the window began),
    interpolated linearly inside a bucket as Prometheus does."""
    buckets: dict[float, float] = {}
    for sign, scraped in ((1, pages), (-1, before)):
        for page in scraped:
            for line in page.splitlines():
                m = _BUCKET.match(line)
                if m:
                    bound = float("inf") if m.group(1) == "+Inf" else float(m.group(1))
                    buckets[bound] = buckets.get(bound, 0.0) + sign * float(m.group(2))
    bounds = sorted(buckets)
    total = buckets.get(float("inf"), 0.0)
    out: dict[str, float | None] = {}
    for q in quantiles:
        key = f"p{round(q * 100)}"
        if not total:
            out[key] = None
            continue
        rank, lower, below = q * total, 0.0, 0.0
        for bound in bounds:
            count = buckets[bound]
            if count >= rank:
                if bound == float("inf"):
                    out[key] = lower * 1000
                else:
                    inside = count - below
                    share = (rank - below) / inside if inside else 1.0
                    out[key] = (lower + (bound - lower) * share) * 1000
                break
            lower, below = bound, count
    out["count"] = total
    return out


def counter_total(pages: list[str], name: str) -> float:
    """A counter summed over the scraped pages (every process and label)."""
    total = 0.0
    for page in pages:
        for line in page.splitlines():
            if line.startswith(f"{name}_total"):
                total += float(line.rsplit(maxsplit=1)[1])
    return total


def _f(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def table(results: list[dict], load: tuple[float, float, float]) -> str:
    """One row per set-up; the targets in the header."""
    head = (
        f"{'set-up':<10} {'users':>5} {'proc p50/p99 ms':>16} {'e2e p50/p99 s':>14} "
        f"{'rate/limit':>10} {'429s':>5} {'msg/turn':>8} {'turns':>6} {'lost':>5} "
        f"{'apolog.':>7} {'CPU % (each)':>20} {'peak MB (each)':>18}"
    )
    lines = [
        "Load: users talking through the local Bot API server (30/s overall, 1/s per chat).",
        "Targets: rate/limit >= 0.95, 0 429s, processing p99 < 100 ms.",
        head,
        "-" * len(head),
    ]
    for r in results:
        proc = r["processing_ms"]
        cpu = "/".join(_f(v, ".0f") for v in r["cpu_percent"].values())
        rss = "/".join(_f(v, ".0f") for v in r["peak_rss_mb"].values())
        lines.append(
            f"{r['setup']:<10} {r['users']:>5} "
            f"{_f(proc.get('p50'), '.1f') + '/' + _f(proc.get('p99'), '.1f'):>16} "
            f"{_f(r['e2e_s']['p50'], '.2f') + '/' + _f(r['e2e_s']['p99'], '.2f'):>14} "
            f"{r['rate_fraction']:>10.3f} {r['429s']:>5} {_f(r['messages_per_turn'], '.2f'):>8} "
            f"{r['turns']:>6} {r['unanswered']:>5} {r['apologies']:>7.0f} {cpu:>20} {rss:>18}"
        )
    lines.append(
        "harness (simulated users + local Bot API server): "
        + "; ".join(
            f"{r['setup']}: CPU {_f(r.get('harness_cpu_percent'), '.0f')}%, "
            f"nice +{r.get('harness_nice', 0)}"
            for r in results
        )
    )
    lines.append(
        "processes: " + "; ".join(f"{r['setup']}: {', '.join(r['processes'])}" for r in results)
    )
    lines.append(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return "\n".join(lines)
