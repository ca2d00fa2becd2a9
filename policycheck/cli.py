"""The command line: parse options, call one command, map errors to exit codes.

Exit codes: 0 every evaluated commit passes; 1 some commit fails; 2 usage,
configuration, policy or Git error (one line on stderr, no traceback).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
import traceback
from collections.abc import Mapping
from typing import Any, NoReturn

import click

from policycheck import __version__
from policycheck.errors import INTERRUPTED, PolicycheckError

EXIT_HELP = """\b
Exit codes:
  0  every evaluated commit passes (or --exit-zero)
  1  some commit fails a policy
  2  usage, configuration, policy or Git error
  130  interrupted (Ctrl-C)
"""

# What a command that judges no commit returns (status, facts, init, ...): its own help says so.
PRINT_HELP = """\b
Exit codes:
  0  done
  2  usage, configuration or Git error
  130  interrupted (Ctrl-C)
"""

# The group's own flags, moved before the command wherever they are given.
GLOBAL_FLAGS = ("--debug", "--version")

FORMATS = ("text", "json", "sarif", "junit", "github", "markdown", "gitlab")


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_HELP)
@click.version_option(__version__, prog_name="policycheck")
@click.option("--debug", is_flag=True, help="Show the traceback of internal errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Change-aware policy checks for Gateway API routes kept in Git."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _write(text: str, output: str | None, fmt: str = "text") -> None:
    from policycheck.output import write_output
    from policycheck.reporters.common import visible_bytes, visible_json

    # A file name that is not UTF-8 reads `\xNN` for its bytes, as in `check`'s reports (which do it already).
    write_output(visible_json(text) if fmt == "json" else visible_bytes(text), output)


@cli.command(epilog=EXIT_HELP)
@click.argument("revision", required=False)
@click.option("--staged", is_flag=True, help="Check the index against HEAD (pre-commit).")
@click.option("--base", metavar="REF", help="Check merge-base(REF, HEAD)..HEAD (pull request).")
@click.option("--history", is_flag=True, help="Check every commit reachable from REVISION (default HEAD), root first.")
@click.option("--net", is_flag=True, help="With --base: judge the whole pull request as one change.")
@click.option("--repo", metavar="DIR", help="The repository (default: the one containing the current folder).")
@click.option("--config", "config_file", metavar="FILE", help="Configuration file (default .policycheck.yaml).")
@click.option("--policies", "policy_dirs", multiple=True, metavar="DIR", help="Extra policy folder (repeatable).")
@click.option("--policy-source", type=click.Choice(["base", "head"]), default=None,
              help="In a range check, take configuration and policies from the base (default) or the head.")
@click.option("--skip", multiple=True, metavar="POLICY", help="Leave this policy out (repeatable).")
@click.option("--only", multiple=True, metavar="POLICY",
              help="Evaluate only this policy (repeatable); loader diagnostics still show.")
@click.option("--profile", type=click.Choice(["spec", "linkerd"]), default=None, help="Implementation profile.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format (default text; github under GitHub Actions).")
@click.option("--output", "-o", "outputs", metavar="[FORMAT=]FILE", multiple=True,
              help="FILE: write the report here (atomically) instead of stdout. FORMAT=FILE (repeatable): "
                   "also write that format there, e.g. -o sarif=policycheck.sarif -o junit=junit.xml.")
@click.option("--all", "list_all", is_flag=True, help="List pre-existing findings too.")
@click.option("--fail-on", type=click.Choice(["new", "all"]), default=None,
              help="Fail on new error findings (default) or on any error finding.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when a commit fails (report only).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on success; only failing commits.")
@click.option("--verbose", "-v", is_flag=True, help="Show progress and timing on stderr.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the parse cache.")
@click.option("--color", "--colour", "color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the text report: auto (a terminal, unless NO_COLOR is set), always, "
                                      "never.")
def check(revision: str | None, staged: bool, base: str | None, history: bool, net: bool, repo: str | None,
          config_file: str | None, policy_dirs: tuple[str, ...], policy_source: str | None,
          skip: tuple[str, ...], only: tuple[str, ...], profile: str | None,
          fmt: str | None, outputs: tuple[str, ...], list_all: bool, fail_on: str | None, exit_zero: bool,
          quiet: bool, verbose: bool, no_cache: bool, color: str) -> None:
    """Judge REVISION (a commit, or a range A..B), the staged change (--staged), a pull
    request (--base REF), or by default the working tree against HEAD."""
    from policycheck.commands.check import CheckOptions, run_check
    from policycheck.errors import UsageError
    from policycheck.render import render_report

    modes = sum([staged, base is not None]) + (revision is not None and base is None)
    if modes > 1 or (staged and revision):
        raise UsageError("give at most one of REVISION, --staged, --base")
    if history and (staged or base is not None):
        raise UsageError("--history goes with REVISION only")
    if net and base is None:
        raise UsageError("--net goes with --base")
    if revision is not None and revision.startswith("-"):
        raise UsageError(f"refusing revision {revision!r}: not a plain revision name")
    from_ref, to_ref = os.environ.get("PRE_COMMIT_FROM_REF"), os.environ.get("PRE_COMMIT_TO_REF")
    if staged and from_ref and to_ref:
        staged, revision = False, f"{from_ref}..{to_ref}"  # pre-commit's pre-push stage
    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    output, reports = split_outputs(outputs)
    progress = Progress() if (verbose or sys.stderr.isatty()) and not quiet else None
    try:
        report = run_check(CheckOptions(repo=repo, revision=revision, staged=staged, base=base, net=net,
                                        history=history, config=config_file, policy_dirs=policy_dirs,
                                        profile=profile, fail_on=fail_on, list_all=list_all,
                                        policy_source=policy_source, no_cache=no_cache, skip=skip, only=only,
                                        baseline="sarif" in (fmt, *(f for f, _ in reports))),
                           progress=progress)
    finally:
        if progress is not None:
            progress.close()
    from policycheck.diagnostics import RESERVED

    for pid in only:  # named, and known, but the configuration leaves it off: say so rather than pass silently
        if pid not in RESERVED and all(p.id != pid for p in report.policies):
            _fail(f"warning: --only {pid}: the configuration leaves this policy off (see enable:/disable:)")
    if not report.commits and (base is not None or history or (revision is not None and ".." in revision)):
        span = revision if revision is not None and ".." in revision else f"{base}..{revision or 'HEAD'}" \
            if base is not None else revision or "HEAD"
        click.echo(f"nothing to check: {span} holds no commit", err=True)
    colour = fmt == "text" and output in (None, "-") and use_colour(color, sys.stdout.isatty(), os.environ)
    from policycheck.render import blob_url

    links = blob_url(os.environ)
    for extra_fmt, path in reports:
        _write(render_report(report, extra_fmt, links=links), path)
    text = render_report(report, fmt, colour=colour, quiet=quiet, links=links)
    _write(text, output)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if "github" in (fmt, *(f for f, _ in reports)) and summary:
        from policycheck.render import step_summary

        try:
            with open(summary, "a", encoding="utf-8") as fh:
                fh.write(step_summary(report, links))
        except OSError as exc:  # the report is out and the verdict stands: the summary is a courtesy
            _fail(f"warning: cannot write the step summary to {summary} ({exc.strerror or exc}); going on")
    sys.exit(0 if exit_zero or report.result == "pass" else 1)


def split_outputs(values: tuple[str, ...]) -> tuple[str | None, list[tuple[str, str]]]:
    """`--output` values: the one plain FILE (the --format report instead of stdout), and each FORMAT=FILE.

    `FORMAT=FILE` is read as such only when FORMAT names a format, so a plain
    file name holding `=` keeps its meaning.
    """
    from policycheck.errors import UsageError

    plain: list[str] = []
    reports: list[tuple[str, str]] = []
    for value in values:
        name, sep, path = value.partition("=")
        if sep and name in FORMATS:
            if not path:
                raise UsageError(f"--output {value}: give a file after {name}=")
            reports.append((name, path))
        else:
            plain.append(value)
    if len(plain) > 1:
        raise UsageError(f"--output: one plain FILE at most (got {', '.join(plain)}); "
                         "write further formats with FORMAT=FILE")
    targets = [os.path.abspath(p) for p in plain if p != "-"] + [os.path.abspath(p) for _, p in reports]
    if len(set(targets)) < len(targets):
        raise UsageError("--output: two reports into the same file")
    for target in targets:  # refused before the run, not after it
        if not os.path.isdir(os.path.dirname(target)):
            raise UsageError(f"--output {target}: no such folder {os.path.dirname(target)}")
    return (plain[0] if plain else None), reports


def use_colour(flag: str, tty: bool, environ: Mapping[str, str]) -> bool:
    """`--color` wins; `auto` colours a terminal unless NO_COLOR is set to something (no-color.org: an empty
    NO_COLOR does not count)."""
    if flag != "auto":
        return flag == "always"
    return tty and not environ.get("NO_COLOR")


class Progress:
    """Progress on stderr: click's bar on a terminal (position, rate, ETA); elsewhere (--verbose in CI) a
    plain line every few seconds and at the end, not one per commit."""

    EVERY = 5.0  # seconds between lines in a log

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.bar: Any = None
        self.start = self.last = time.monotonic()

    def __call__(self, n: int, total: int, label: str) -> None:
        if total <= 1:
            return
        if self.tty:
            if self.bar is None or self.bar.length != total:
                self.close()
                self.start = time.monotonic()
                self.bar = click.progressbar(length=total, label="checking", file=sys.stderr, show_pos=True,
                                             show_eta=True, item_show_func=self._item)
                self.bar.__enter__()
            self.bar.update(n + 1 - self.bar.pos, current_item=(n, label))
            return
        now = time.monotonic()
        if n + 1 == total or now - self.last >= self.EVERY:
            self.last = now
            sys.stderr.write(f"checking {n + 1}/{total} {label[:12]} ({self._rate(n)})\n")
            sys.stderr.flush()

    def _item(self, item: tuple[int, str] | None) -> str | None:
        return None if item is None else f"{item[1][:12]} {self._rate(item[0])}"

    def _rate(self, n: int) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-6)
        return f"{(n + 1) / elapsed:.1f} commits/s"

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@cli.command(epilog=PRINT_HELP)
@click.argument("paths", nargs=-1)
@click.option("--rev", metavar="REV", help="Read the manifests at this revision instead of from disk.")
@click.option("--repo", metavar="DIR", help="The repository, with --rev.")
@click.option("--config", "config_file", metavar="FILE", help="Configuration file.")
@click.option("--profile", type=click.Choice(["spec", "linkerd"]), default=None, help="Implementation profile.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--output", "-o", metavar="FILE", help="Write here (atomically) instead of stdout.")
def status(paths: tuple[str, ...], rev: str | None, repo: str | None, config_file: str | None,
           profile: str | None, fmt: str, output: str | None) -> None:
    """Print the predicted status of every route (and Gateway) in PATHS or at --rev."""
    from policycheck.commands.status import run_status

    _write(run_status(paths, rev, repo, config_file, profile, fmt), output, fmt)


@cli.command(epilog=PRINT_HELP)
@click.argument("path", required=False)
@click.option("--rev", metavar="REV", help="Read the files at this revision instead of from disk.")
@click.option("--repo", metavar="DIR", help="The repository (default: the one containing the current folder).")
@click.option("--config", "config_file", metavar="FILE", help="Configuration file.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--output", "-o", metavar="FILE", help="Write here (atomically) instead of stdout.")
def inventory(path: str | None, rev: str | None, repo: str | None, config_file: str | None, fmt: str,
              output: str | None) -> None:
    """List what a state deploys: with PATH, what `kustomize build PATH` emits; else every object judged."""
    from policycheck.commands.inventory import run_inventory

    _write(run_inventory(path, rev, repo, config_file, fmt), output, fmt)


@cli.command(epilog=PRINT_HELP)
@click.argument("address", metavar="KIND[.GROUP]/[NAMESPACE/]NAME")
@click.option("--rev", metavar="REV", help="Judge this commit against its first parent (default: the working tree "
                                            "against HEAD).")
@click.option("--repo", metavar="DIR", help="The repository (default: the one containing the current folder).")
@click.option("--cluster", metavar="NAME", help="With several clusters: the one whose state to read.")
@click.option("--config", "config_file", metavar="FILE", help="Configuration file.")
@click.option("--profile", type=click.Choice(["spec", "linkerd"]), default=None, help="Implementation profile.")
@click.option("--format", "fmt", type=click.Choice(["json", "yaml"]), default="json")
def facts(address: str, rev: str | None, repo: str | None, cluster: str | None, config_file: str | None,
          profile: str | None, fmt: str) -> None:
    """Print the document the policies evaluate for one object: the object, its previous version, the
    operation, its predicted status per parentRef, backends, detached parents, validation issues."""
    from policycheck.commands.facts import run_facts

    _write(run_facts(address, rev, repo, cluster, config_file, profile, fmt), None, fmt)


@cli.command(epilog=PRINT_HELP)
@click.option("--repo", metavar="DIR", help="The repository (default: the one containing the current folder).")
def init(repo: str | None) -> None:
    """Write a first .policycheck.yaml: excludes for the YAML found that is not Kubernetes, the deploy roots and
    clusters found as comments. Refuses to overwrite one (exit 2)."""
    from policycheck.commands.init import run_init

    click.echo(run_init(repo), nl=False)


@cli.group()
def cache() -> None:
    """Where the cache of parsed files and judged commits lives; empty it."""


@cache.command("info")
@click.option("--repo", metavar="DIR", help="The repository (default: the one containing the current folder).")
def cache_info_cmd(repo: str | None) -> None:
    """The cache's folder, its size and its bound."""
    from policycheck.commands.cache import cache_info

    click.echo(cache_info(repo), nl=False)


@cache.command("clear")
@click.option("--repo", metavar="DIR", help="The repository (default: the one containing the current folder).")
def cache_clear_cmd(repo: str | None) -> None:
    """Remove every cache entry of the repository (the next run reads everything again)."""
    from policycheck.commands.cache import cache_clear

    click.echo(cache_clear(repo), nl=False)


@cli.group()
def policies() -> None:
    """List and explain the policies in force."""


@policies.command("list")
@click.option("--config", "config_file", metavar="FILE", help="Configuration file.")
@click.option("--policies", "policy_dirs", multiple=True, metavar="DIR", help="Extra policy folder.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def policies_list(config_file: str | None, policy_dirs: tuple[str, ...], fmt: str) -> None:
    """Every policy: id, severity, description; and the loader's reserved ids."""
    from policycheck.commands.policies import list_policies

    click.echo(list_policies(config_file, policy_dirs, fmt), nl=False)


@policies.command("show")
@click.argument("policy_id")
@click.option("--config", "config_file", metavar="FILE", help="Configuration file.")
@click.option("--policies", "policy_dirs", multiple=True, metavar="DIR", help="Extra policy folder.")
def policies_show(policy_id: str, config_file: str | None, policy_dirs: tuple[str, ...]) -> None:
    """One policy in full: description, rationale, source file and expressions."""
    from policycheck.commands.policies import show_policy

    click.echo(show_policy(policy_id, config_file, policy_dirs), nl=False)


@cli.command("test")
@click.argument("directory", required=False)
@click.option("--policies", "policy_dirs", multiple=True, metavar="DIR", help="Extra policy folder.")
@click.option("--config", "config_file", metavar="FILE", help="Configuration file.")
@click.option("--only", multiple=True, metavar="POLICY", help="Run only the cases that test this policy (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "junit"]), default="text")
def test_cmd(directory: str | None, policy_dirs: tuple[str, ...], config_file: str | None, only: tuple[str, ...],
             fmt: str) -> None:
    """Run policy test cases (YAML) in DIRECTORY (default: the built-in policies' cases)."""
    from policycheck.commands.testcases import run_tests

    ok, text = run_tests(directory, policy_dirs, config_file, only, fmt)
    click.echo(text, nl=False)
    sys.exit(0 if ok else 1)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; every way out is exit 0, 1 or 2, and exit 2 says why in one line."""
    args = sys.argv[1:] if argv is None else argv
    end = args.index("--") if "--" in args else len(args)
    debug = "--debug" in args[:end]
    # Global options are accepted after the command too, as users type them (`check HEAD --debug`).
    present = [g for g in GLOBAL_FLAGS if g in args[:end]]
    if present:
        args = [*present, *[a for a in args[:end] if a not in GLOBAL_FLAGS], *args[end:]]
    try:
        cli.main(args=args, prog_name="policycheck", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        return code if code in (0, 1, 2) else 2
    except click.exceptions.Exit as exc:
        return exc.exit_code if exc.exit_code in (0, 1, 2) else 2
    except click.UsageError as exc:
        where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
        _fail(f"error: {exc.format_message()}{where}")
        return 2
    except click.ClickException as exc:
        _fail(f"error: {exc.format_message()}")
        return 2
    except (click.exceptions.Abort, KeyboardInterrupt):
        _fail("interrupted")
        return INTERRUPTED
    except PolicycheckError as exc:
        _fail(f"error: {exc}")
        return 2
    except Exception as exc:  # the one place that turns any crash into exit 2
        if debug:
            traceback.print_exc()
        _fail(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)")
        return 2
    return 0


def run() -> NoReturn:
    """The console script: `main`, then leave without tearing the interpreter down.

    A run keeps every parsed object of its states alive to the end; freeing them
    one by one at exit costs a sizeable share of a long history run and tells
    nobody anything. Output is flushed first, and git children see their stdin
    close with the process. Tests call `main` and keep their interpreter, and so
    does a run under a profiler or tracer (coverage), which writes at exit.
    """
    from policycheck.background import finish, write_in_background
    from policycheck.launch import stop

    write_in_background()  # this process exits without waiting: its cache is written by children

    unwind = signal.getsignal(signal.SIGINT) is stop
    if unwind:  # Python's KeyboardInterrupt while main runs: what it opened is closed on the way out
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        code = main()
    except KeyboardInterrupt:  # between main's handlers
        _fail("interrupted")
        code = INTERRUPTED
    if unwind:
        signal.signal(signal.SIGINT, stop)
    finish()  # the cache writes that waited, by a child: the verdict is out
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        # A reader that went away (`| head`) cannot be told more: the verdict stands.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def _fail(message: str) -> None:
    """One line on stderr, whatever the message held (Git's stderr, a YAML snippet)."""
    try:
        sys.stderr.write("policycheck: " + " ".join(message.split()) + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
