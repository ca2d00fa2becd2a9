"""Benchmark: policycheck against the floor, its own full scan, a hook's budget and Checkov.

    python benchmarks/run.py --sizes 500,5000 --commits 1000

For every size N it builds (once, under benchmarks/.work/) a synthetic
repository with a fixed seed (benchmarks/generate.py), then measures in the
same run and prints each figure as a ratio with its target and whether it is
met:

  1. full scan: `policycheck status --rev HEAD` / the floor (benchmarks/floor.py:
     one `git cat-file --batch` + CSafeLoader over every YAML blob); target <= 2;
  2. history: `policycheck check base..main` over K commits / one full scan;
     target < 3;
  3. hook: `policycheck check --staged` with a one-file change, cold and with a
     warm cache: wall time (target < 0.5 s warm at N = 5,000) and peak memory;
  4. peak memory of the full scan (target well under 1 GiB at N = 50,000);
  5. Checkov (`checkov -d DIR --framework kubernetes`) / full scan, for N <= 5,000,
     in a venv this script creates under benchmarks/.work/; if Checkov cannot be
     installed the line says so and the run carries on;
  6. a multi-cluster Flux + Kustomize layout (benchmarks/gitops.py: bootstraps,
     overlays, patches, generators) with --clusters clusters, against the same
     layout with one cluster: its full scan, its history over its commits, and
     the CPU the clusters cost (target: C clusters cost less than C one-cluster runs).

Times are wall clock, the best of --repeat runs (the machine may be shared), save the
cold-cache and --no-cache hook runs, timed once; CPU time is printed beside them.
policycheck runs from this checkout (PYTHONPATH), with its dependencies
importable by this interpreter.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work"
sys.path.insert(0, str(HERE))

from generate import write_repo  # noqa: E402
from gitops import write_gitops_repo  # noqa: E402


@dataclass(frozen=True)
class Measure:
    seconds: float
    peak_kib: int
    code: int
    cpu: float = 0.0  # user + system seconds: what the run costs when the machine is shared


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 1800) -> Measure:
    """Wall time and peak RSS of one process (and the children it waited for)."""
    # Bytecode is cached (outside the checkout) as it is for an installed package, even where the
    # environment says not to write it: compiling the package's modules anew is not the tool's cost.
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": str(WORK / "pycache"), **(env or {})}
    full_env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            return Measure(float("inf"), usage.ru_maxrss, -1)
        time.sleep(0.002)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Measure(elapsed, usage.ru_maxrss, proc.returncode, usage.ru_utime + usage.ru_stime)


def best(cmd: list[str], cwd: Path, repeat: int, env: dict[str, str] | None = None, timeout: float = 1800,
         ok: tuple[int, ...] = (0, 1)) -> Measure:
    runs = [run(cmd, cwd, env, timeout) for _ in range(repeat)]
    bad = [m for m in runs if m.code not in ok]
    if bad:
        return bad[0]
    return min(runs, key=lambda m: m.seconds)


def verdict(value: float, target: float, below: bool = True) -> str:
    met = value < target if below else value > target
    return "met" if met else "NOT met"


def stage_edit(repo: Path, path: Path) -> None:
    """A one-line edit of a route file (a weight, else a comment), staged."""
    text = path.read_text()
    path.write_text(re.sub(r"weight: (\d+)", lambda m: f"weight: {int(m.group(1)) % 9 + 1}", text, count=1)
                    if "weight: " in text else text + "# staged change\n")
    subprocess.run(["git", "add", str(path)], cwd=repo, check=True)


def history_target(n: int, ratio: float | None) -> str:
    """The history's target, stated from N = 5,000 up: below, a full scan is mostly the interpreter starting."""
    if n < 5000:
        return "no target below N = 5,000"
    return f"target < 3: {'NOT met' if ratio is None else verdict(ratio, 3)}"


def line(label: str, text: str) -> None:
    print(f"  {label:<34} {text}", flush=True)


def repository(n: int, k: int, seed: int) -> Path:
    """The repository of size n, k commits and seed, generated once per version of generate.py."""
    version = hashlib.sha256((HERE / "generate.py").read_bytes()).hexdigest()[:8]
    path = WORK / f"repo-n{n}-k{k}-s{seed}-g{version}"
    for stale in [WORK / f"repo-n{n}-k{k}-s{seed}", *WORK.glob(f"repo-n{n}-k{k}-s{seed}-g*")]:
        if stale != path:  # made by another version of the generator
            shutil.rmtree(stale, ignore_errors=True)
    if not (path / ".bench-complete").exists():
        shutil.rmtree(path, ignore_errors=True)
        start = time.perf_counter()
        write_repo(path, n, k, seed)
        (path / ".git" / "info" / "exclude").write_text(".bench-complete\n")
        (path / ".bench-complete").write_text("ok\n")
        print(f"  (generated {path.name} in {time.perf_counter() - start:.1f} s)", flush=True)
    return path


def checkov() -> tuple[Path | None, str]:
    """The checkov command in a benchmark-only venv, or None and why not."""
    venv = WORK / "checkov-venv"
    exe = venv / "bin" / "checkov"
    if exe.exists():
        return exe, ""
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "checkov"], check=True,
                       capture_output=True, timeout=900)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        err = getattr(exc, "stderr", b"") or b""
        tail = err.decode(errors="replace").strip().splitlines()[-1:] if err else [str(exc)]
        shutil.rmtree(venv, ignore_errors=True)
        return None, f"could not be installed ({tail[0][:120] if tail else exc})"
    return (exe, "") if exe.exists() else (None, "installed without a checkov command")


def bench(n: int, k: int, seed: int, repeat: int, timeout: float, with_checkov: bool) -> None:
    print(f"\nN = {n} manifests, K = {k} commits (seed {seed})", flush=True)
    repo = repository(n, k, seed)
    py = sys.executable
    cache_dir = WORK / f"cache-n{n}"
    env = {"POLICYCHECK_CACHE_DIR": str(cache_dir)}
    reps = 1 if n >= 50_000 else repeat

    floor = best([py, str(HERE / "floor.py"), str(repo), "HEAD"], repo, reps)
    scan = best([py, "-m", "policycheck", "status", "--rev", "HEAD", "--repo", str(repo)], repo, reps, env)
    line("floor (cat-file + CSafeLoader)", f"{floor.seconds:.2f} s")
    ratio = scan.seconds / floor.seconds
    line("full scan / floor", f"{ratio:.2f} ({scan.seconds:.2f} s / {floor.seconds:.2f} s; CPU "
         f"{scan.cpu / max(floor.cpu, 1e-9):.2f}: {scan.cpu:.2f} s / {floor.cpu:.2f} s), target <= 2: "
         f"{verdict(ratio, 2.0001)}")
    line("full scan peak memory", f"{scan.peak_kib / 1024:.0f} MiB, target < 1024 MiB: "
         f"{verdict(scan.peak_kib / 1024, 1024)}")

    shutil.rmtree(cache_dir, ignore_errors=True)
    # Best of as many runs as the full scan it is divided by (--no-cache: no run reuses another's work).
    hist = best([py, "-m", "policycheck", "check", "base..main", "--no-cache", "--format", "json", "--repo",
                 str(repo)], repo, reps, env, timeout)
    if hist.code == -1:
        line("history / full scan", f"timed out after {timeout:.0f} s, {history_target(n, None)}")
    else:
        ratio = hist.seconds / scan.seconds
        # What a commit costs beyond the range's first state, which costs about one full scan.
        each = 1000 * max(hist.seconds - scan.seconds, 0) / max(k, 1)
        line("history / full scan", f"{ratio:.2f} ({hist.seconds:.1f} s for {k} commits: a full state, then "
             f"{each:.1f} ms a commit; CPU {hist.cpu / max(scan.cpu, 1e-9):.2f}: {hist.cpu:.2f} s / "
             f"{scan.cpu:.2f} s), {history_target(n, ratio)}")

    # A one-line edit of one route (a weight), staged: what a developer commits. Then that edit committed
    # and another staged: the next commit's hook, whose HEAD moved since the last run.
    first = sorted((repo / "apps" / "team-0" / "routes").glob("*.yaml"))[0]
    second = next(p for p in sorted((repo / "apps").glob("*/routes/*.yaml")) if p != first)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True,
                          text=True).stdout.strip()
    try:
        stage_edit(repo, first)
        shutil.rmtree(cache_dir, ignore_errors=True)
        staged = [py, "-m", "policycheck", "check", "--staged", "--repo", str(repo)]
        cold = run(staged, repo, env, timeout)
        warm = best(staged, repo, reps, env, timeout)
        nocache = run([*staged, "--no-cache"], repo, env, timeout)
        subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q",
                        "-m", "staged edit"], cwd=repo, check=True)
        stage_edit(repo, second)
        moved = best(staged, repo, reps, env, timeout)
    finally:
        subprocess.run(["git", "reset", "-q", "--hard", head], cwd=repo, check=True)
    line("hook --staged, cold cache", f"{cold.seconds:.2f} s ({cold.cpu:.2f} s CPU), {cold.peak_kib / 1024:.0f} MiB")
    line("hook --staged, --no-cache", f"{nocache.seconds:.2f} s ({nocache.cpu:.2f} s CPU), "
         f"{nocache.peak_kib / 1024:.0f} MiB")
    verdict_text = f", target < 0.5 s: {verdict(warm.seconds, 0.5)}" if n == 5000 else ""
    line("hook --staged, warm cache", f"{warm.seconds:.2f} s ({warm.cpu:.2f} s CPU), "
         f"{warm.peak_kib / 1024:.0f} MiB{verdict_text}")
    line("hook --staged, after a commit", f"{moved.seconds:.2f} s ({moved.cpu:.2f} s CPU), "
         f"{moved.peak_kib / 1024:.0f} MiB")

    if with_checkov and n <= 5000:
        exe, why = checkov()
        if exe is None:
            line("Checkov / full scan", f"Checkov {why}; comparison skipped")
        else:
            peer = run([str(exe), "-d", str(repo), "--framework", "kubernetes", "--quiet", "--compact"], repo,
                       timeout=timeout)
            if peer.code == -1:
                line("Checkov / full scan", f"Checkov timed out after {timeout:.0f} s: faster, met")
            else:
                ratio = peer.seconds / scan.seconds
                line("Checkov / full scan", f"{ratio:.2f}x ({peer.seconds:.2f} s vs {scan.seconds:.2f} s), "
                     f"target > 1: {verdict(ratio, 1, below=False)}")


def gitops_repository(apps: int, clusters: int, k: int, seed: int) -> Path:
    """The multi-cluster layout, generated once per version of gitops.py."""
    version = hashlib.sha256((HERE / "gitops.py").read_bytes()).hexdigest()[:8]
    path = WORK / f"gitops-a{apps}-c{clusters}-k{k}-s{seed}-g{version}"
    for stale in WORK.glob(f"gitops-a{apps}-c{clusters}-k{k}-s{seed}-g*"):
        if stale != path:
            shutil.rmtree(stale, ignore_errors=True)
    if not (path / ".bench-complete").exists():
        shutil.rmtree(path, ignore_errors=True)
        write_gitops_repo(path, apps, clusters, k, seed)
        (path / ".git" / "info" / "exclude").write_text(".bench-complete\n")
        (path / ".bench-complete").write_text("ok\n")
    return path


def bench_gitops(apps: int, clusters: int, k: int, seed: int, repeat: int, timeout: float) -> None:
    print(f"\nGitOps layout: {apps} applications, {clusters} Flux clusters, K = {k} commits (seed {seed})",
          flush=True)
    py = sys.executable
    measured: dict[int, tuple[Measure, Measure]] = {}
    for count in sorted({1, clusters}):
        repo = gitops_repository(apps, count, k, seed)
        scan = best([py, "-m", "policycheck", "status", "--rev", "HEAD", "--repo", str(repo)], repo, repeat)
        hist = best([py, "-m", "policycheck", "check", "base..main", "--no-cache", "--format", "json", "--repo",
                     str(repo)], repo, repeat, timeout=timeout)
        measured[count] = (scan, hist)
        line(f"{count} cluster{'s' if count > 1 else ''}: full scan", f"{scan.seconds:.2f} s ({scan.cpu:.2f} s CPU)")
        if hist.code == -1:
            line(f"{count} cluster{'s' if count > 1 else ''}: history", f"timed out after {timeout:.0f} s")
        else:
            line(f"{count} cluster{'s' if count > 1 else ''}: history", f"{hist.seconds:.1f} s ({hist.cpu:.2f} s CPU), "
                 f"{hist.seconds / max(scan.seconds, 1e-9):.2f} full scans")
    if clusters > 1 and measured[1][1].code != -1 and measured[clusters][1].code != -1:
        ratio = measured[clusters][1].cpu / max(measured[1][1].cpu, 1e-9)
        line(f"history CPU, {clusters} clusters / 1", f"{ratio:.2f}, target < {clusters}: "
             f"{verdict(ratio, clusters)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="500,5000", help="comma-separated N (default 500,5000)")
    ap.add_argument("--commits", type=int, default=1000, help="K, commits in the history (default 1000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="runs per timing; the best is kept (default 3)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds before a command counts as failed")
    ap.add_argument("--no-checkov", action="store_true", help="skip the Checkov comparison")
    ap.add_argument("--apps", type=int, default=200, help="applications of the GitOps layout (default 200)")
    ap.add_argument("--clusters", type=int, default=3, help="Flux clusters of the GitOps layout (default 3)")
    args = ap.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"policycheck benchmark: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}", flush=True)
    for n in (int(x) for x in args.sizes.split(",") if x.strip()):
        bench(n, args.commits, args.seed, args.repeat, args.timeout, not args.no_checkov)
    if args.apps > 0:
        bench_gitops(args.apps, args.clusters, min(args.commits, 300), args.seed, args.repeat, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
