"""The container image's install, without Docker: build the wheel and install it the way the Dockerfile does.

No Docker engine runs on the development machines, so this test executes the Dockerfile itself as far as a
shell can: the builder stage's COPY lines (filtered by .dockerignore) into a scratch build context, then the
RUN lines that call pip, word for word, with $WHEELS and $VENV pointing into a temporary directory and `python`
meaning this interpreter. The installed `drawwatch` then runs `check`, `health` and `--version` from a working
directory outside the repository with a clean environment, so the package, its templates, data files and
migrations can only come from the wheel. Dependencies come from the package index pip is configured with
(no cache, as in the image): about 40 s here.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.support.commands import ROOT
from tests.support.feeds import feed_path

pytestmark = pytest.mark.slow

DOCKERFILE = ROOT / "Dockerfile"


def instructions(text: str) -> list[tuple[str, str, str]]:
    """(stage name, INSTRUCTION, arguments) for each instruction; continuation lines joined, comments dropped."""
    logical, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            current += line[:-1].rstrip() + " "
            continue
        logical.append(current + line)
        current = ""
    stage, result = "", []
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = args.split()
            stage = words[2] if len(words) == 3 and words[1].upper() == "AS" else "final"
        result.append((stage, keyword, args.strip()))
    return result


def dockerignored(relative: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins, `!` re-includes, a match on a directory covers its files."""
    parts = relative.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern[1:] if negate else pattern
        regex = re.escape(body.strip("/")).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        if any(re.fullmatch(regex, candidate) for candidate in candidates):
            excluded = not negate
    return excluded


def build_context(dest: Path) -> None:
    """Copy the builder stage's COPY sources, as .dockerignore lets them into the build context."""
    ignore_file = ROOT / ".dockerignore"
    patterns = [
        line.strip()
        for line in ignore_file.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    copies = [
        args
        for stage, keyword, args in instructions(DOCKERFILE.read_text())
        if keyword == "COPY" and stage == "builder"
    ]
    builder_copies = [shlex.split(args) for args in copies if not args.startswith("--from")]
    assert builder_copies, "the Dockerfile copies nothing into its builder stage"
    for words in builder_copies:
        *sources, target = [word for word in words if not word.startswith("--")]
        for source in sources:
            origin = ROOT / source
            assert origin.exists(), f"COPY {source}: no such file in the repository"
            files = [origin] if origin.is_file() else sorted(p for p in origin.rglob("*") if p.is_file())
            for file in files:
                relative = file.relative_to(ROOT).as_posix()
                if dockerignored(relative, patterns):
                    continue
                inside = file.relative_to(origin) if origin.is_dir() else Path(file.name)
                out = dest / target / inside if target.endswith("/") else dest / target
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, out)
    assert (dest / "pyproject.toml").is_file(), "the build context has no pyproject.toml"


def final_context_copies() -> list[list[str]]:
    """The final stage's COPY lines that take files from the build context (not ``--from`` another stage)."""
    copies = [
        shlex.split(args)
        for stage, keyword, args in instructions(DOCKERFILE.read_text())
        if stage == "final" and keyword == "COPY" and not args.startswith("--from")
    ]
    for words in copies:
        assert words[-1] == "$CONSTRAINTS", f"COPY {' '.join(words)}: a path the test does not redirect"
    return copies


def pip_runs(stage: str) -> list[str]:
    runs = [
        args
        for name, keyword, args in instructions(DOCKERFILE.read_text())
        if name == stage and keyword == "RUN" and "pip " in args
    ]
    for command in runs:  # paths must go through the variables, or this test would write to /wheels, /opt…
        assert not re.search(r"(?<![\w$])/(wheels|opt|tmp)\b", command), f"literal path in RUN {command}"
    return runs


def sh(command: str, *, cwd: Path, env: dict[str, str]) -> None:
    proc = subprocess.run(["/bin/sh", "-c", command], cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"RUN {command}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"


def test_the_images_install_steps_give_a_working_drawwatch(tmp_path: Path) -> None:
    context, wheels, venv, home, work = (tmp_path / n for n in ("src", "wheels", "venv", "home", "work"))
    for directory in (context, home, work):
        directory.mkdir()
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "python").write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n')
    (shim / "python").chmod(0o755)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DRAWWATCH_", "PYTHON", "VIRTUAL_ENV"))}
    build_env = base | {
        "PATH": f"{shim}:{os.environ['PATH']}",
        "WHEELS": str(wheels),
        "VENV": str(venv),
        "CONSTRAINTS": str(tmp_path / "constraints.txt"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_ROOT_USER_ACTION": "ignore",
    }

    # Builder stage: the build context, then `pip wheel`.
    build_context(context)
    (builder_run,) = pip_runs("builder")
    assert "pip wheel" in builder_run and "--no-deps" in builder_run
    sh(builder_run, cwd=context, env=build_env)
    (wheel,) = wheels.glob("drawwatch-*.whl")

    names = set(zipfile.ZipFile(wheel).namelist())
    package = ROOT / "drawwatch"
    expected = [
        *package.glob("templates/**/*.j2"),
        *package.glob("data/eligibility/*.toml"),
        *package.glob("data/feed/*.json"),
    ]
    migrations = package / "storage" / "migrations"
    if migrations.is_dir():
        expected += [p for p in migrations.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    expected += [p for p in package.rglob("*.py") if "__pycache__" not in p.parts]
    assert any(p.suffix == ".j2" for p in expected) and any(p.suffix == ".toml" for p in expected)
    missing = sorted(
        p.relative_to(ROOT).as_posix() for p in expected if p.relative_to(ROOT).as_posix() not in names
    )
    assert not missing, f"the wheel lacks {missing}"

    # Final stage: the files it copies from the build context (the constraints), then its pip steps in order:
    # the pinned dependencies in a layer of their own, then the wheel with `[postgres]` under the constraints.
    for words in final_context_copies():
        *sources, target = words
        destination = Path(os.path.expandvars(target.replace("$CONSTRAINTS", build_env["CONSTRAINTS"])))
        for source in sources:
            shutil.copy2(ROOT / source, destination)
    deps_run, wheel_run = pip_runs("final")
    assert "--requirement" in deps_run and "drawwatch" not in deps_run.replace('"$VENV', "")
    assert "[postgres]" in wheel_run and "--constraint" in wheel_run
    sh(deps_run, cwd=tmp_path, env=build_env)
    sh(wheel_run, cwd=tmp_path, env=build_env)
    drawwatch = venv / "bin" / "drawwatch"
    assert drawwatch.is_file()

    # Run it as the container would: nothing from the repository on the path, its own working directory.
    run_env = {k: v for k, v in base.items() if not k.startswith("XDG_")} | {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(home),
        "DRAWWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "DRAWWATCH_FEED_URL": feed_path(437).resolve().as_uri(),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, cwd=work, env=run_env, capture_output=True, text=True, timeout=120)

    where = run(str(venv / "bin" / "python"), "-c", "import drawwatch, psycopg; print(drawwatch.__file__)")
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout

    check = run(str(drawwatch), "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "First check: recorded 438 historical rounds" in check.stdout

    health = run(str(drawwatch), "health")
    assert health.returncode == 0, health.stdout + health.stderr
    assert health.stdout.startswith("healthy"), health.stdout

    report = run(str(drawwatch), "report", "--out", str(tmp_path / "site"))
    assert report.returncode == 0, report.stdout + report.stderr
    assert (tmp_path / "site" / "index.html").is_file() and (tmp_path / "site" / "feed.atom").is_file()

    demo = run(str(drawwatch), "demo")  # the feed copy and the templates come from the wheel alone
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "Subject: You qualify: round #437" in demo.stdout, demo.stdout

    version = run(str(drawwatch), "--version")
    assert version.returncode == 0, version.stderr
    expected_version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert version.stdout.split()[-1] == expected_version, version.stdout
