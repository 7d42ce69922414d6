"""Checks of the container files: deploy/docker (Dockerfile, compose.yaml), deploy/k8s and
.dockerignore.

No Docker engine runs where these tests run, so no image is built. Instead the Dockerfile is
parsed and its COPY sources are checked against the build context and .dockerignore; the
compose file and the Kubernetes manifests are parsed and compared with the services' own
settings; and what the image would run (the service modules, deploy/topics.py, the ENTRYPOINT
line, the HEALTHCHECK command) is run here with only the environment the Dockerfile sets.
Every address used is on loopback.
"""

from __future__ import annotations

import ast
import base64
import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from archive.app import ArchiveSettings
from assessment.app import AssessmentSettings
from events.settings import ServiceSettings
from intake.app import IntakeSettings
from notify.app import NotifySettings
from referral.app import ReferralSettings

ROOT = Path(__file__).resolve().parents[2]
DOCKER_DIR = ROOT / "deploy" / "docker"
DOCKERFILE = DOCKER_DIR / "Dockerfile"
COMPOSE_FILE = DOCKER_DIR / "compose.yaml"
ENV_EXAMPLE = DOCKER_DIR / "env.example"
INIT_SQL = DOCKER_DIR / "initdb" / "10-databases.sql"
DOCKERIGNORE = ROOT / ".dockerignore"
K8S_DIR = ROOT / "deploy" / "k8s"
SECRET_TEMPLATE = "secret.template.yaml"

SETTINGS: dict[str, type[ServiceSettings]] = {
    "intake": IntakeSettings,
    "assessment": AssessmentSettings,
    "referral": ReferralSettings,
    "archive": ArchiveSettings,
    "notify": NotifySettings,
}
DEFAULT_PORTS: dict[str, int] = {
    name: settings.model_fields["port"].default for name, settings in SETTINGS.items()
}
SHARED_ENV = ("KAFKA_BOOTSTRAP_SERVERS", "KEYSTORE_DATABASE_URL", "CARELEDGER_KEK")
ALL_INTERFACES = "0.0.0.0"  # noqa: S104  (inside a container; published on 127.0.0.1 only)
SUBPROCESS_TIMEOUT = 120
DOCKERFILE_KEYWORDS = frozenset(
    {"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL"}
    | {"ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}
)


# ---- a small Dockerfile parser ------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined. Comment lines (parser directives too) and
    blank lines are dropped, inside a continuation as well, as Docker does."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1].strip())
            continue
        pending.append(line)
        keyword, _, args = " ".join(part for part in pending if part).partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
        pending = []
    if pending:
        raise ValueError(f"Dockerfile line {start}: a continuation runs past the end")
    return instructions


def substitute(value: str, variables: dict[str, str]) -> str:
    """`$NAME` and `${NAME}` (no modifiers), left alone when the name is unknown."""
    return re.sub(
        r"\$\{(\w+)\}|\$(\w+)",
        lambda m: variables.get(m[1] or m[2], m[0]),
        value,
    )


@dataclass
class Stage:
    name: str | None
    base: str
    instructions: list[Instruction]


def stages(instructions: list[Instruction]) -> list[Stage]:
    """The build stages, with each FROM's image resolved through the ARGs before it."""
    global_args: dict[str, str] = {}
    result: list[Stage] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            words = [w for w in instruction.args.split() if not w.startswith("--platform")]
            name = words[2] if len(words) == 3 and words[1].lower() == "as" else None
            result.append(Stage(name, substitute(words[0], global_args), []))
        elif not result:
            assert instruction.keyword == "ARG", f"{instruction} before the first FROM"
            key, _, default = instruction.args.partition("=")
            global_args[key] = default
        else:
            result[-1].instructions.append(instruction)
    return result


def stage_env(stage: Stage, outer_path: str) -> dict[str, str]:
    """The ENV a stage ends with (ARG defaults resolved; $PATH starts as `outer_path`)."""
    variables: dict[str, str] = {"PATH": outer_path}
    env: dict[str, str] = {}
    for instruction in stage.instructions:
        if instruction.keyword == "ARG":
            key, _, default = instruction.args.partition("=")
            variables.setdefault(key, default)
        elif instruction.keyword == "ENV":
            for word in shlex.split(instruction.args):
                key, sep, value = word.partition("=")
                assert sep, f"line {instruction.line}: use the ENV KEY=value form"
                env[key] = variables[key] = substitute(value, variables)
    return env


def copy_args(instruction: Instruction) -> tuple[dict[str, str], list[str], str]:
    """(flags, sources, destination) of a COPY, in the shell or the JSON form."""
    match = re.fullmatch(r"((?:--\S+\s+)*)(.*)", instruction.args, re.S)
    assert match, instruction
    flags = dict(word[2:].partition("=")[::2] for word in match[1].split())
    rest = match[2]
    words = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
    *sources, destination = words
    return flags, sources, destination


def json_form(instruction: Instruction) -> list[str]:
    argv = json.loads(instruction.args)
    assert isinstance(argv, list), f"line {instruction.line}: use the JSON (exec) form"
    return argv


# ---- .dockerignore, with Docker's rules as far as these files need them -------------------
# A pattern is cleaned like a path and matched segment by segment (`*` and `?` never cross a
# `/`; `**` spans any number of segments); a pattern that matches a parent directory matches
# everything below it; the last matching line decides and `!` lets a path back in.


def dockerignore_rules(text: str) -> list[tuple[bool, list[str]]]:
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = os.path.normpath(line[1:].strip() if negated else line).lstrip("/")
        rules.append((negated, pattern.split("/")))
    return rules


def _segments_match(pattern: list[str], parts: list[str]) -> bool:
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_segments_match(rest, parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], head) and _segments_match(rest, parts[1:])


def is_ignored(relative_path: str, rules: list[tuple[bool, list[str]]]) -> bool:
    parts = relative_path.split("/")
    ignored = False
    for negated, pattern in rules:
        if any(_segments_match(pattern, parts[:n]) for n in range(1, len(parts) + 1)):
            ignored = not negated
    return ignored


# ---- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture(scope="module")
def dockerfile() -> list[Instruction]:
    return parse_dockerfile(DOCKERFILE.read_text())


@pytest.fixture(scope="module")
def final_stage(dockerfile: list[Instruction]) -> Stage:
    return stages(dockerfile)[-1]


@pytest.fixture(scope="module")
def ignore_rules() -> list[tuple[bool, list[str]]]:
    return dockerignore_rules(DOCKERIGNORE.read_text())


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def k8s() -> dict[str, list[dict[str, Any]]]:
    """Every manifest file in deploy/k8s, by file name, as its list of documents."""
    return {
        path.name: [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
        for path in sorted(K8S_DIR.glob("*.y*ml"))
    }


def last(stage: Stage, keyword: str) -> Instruction:
    found = [i for i in stage.instructions if i.keyword == keyword]
    assert found, f"the final stage has no {keyword}"
    return found[-1]


def image_layout(stage: Stage) -> dict[str, Path]:
    """Image path -> build-context path, for every COPY from the context in `stage`."""
    layout: dict[str, Path] = {}
    workdir = PurePosixPath("/")
    for instruction in stage.instructions:
        if instruction.keyword == "WORKDIR":
            workdir = workdir / instruction.args
        if instruction.keyword != "COPY":
            continue
        flags, sources, destination = copy_args(instruction)
        if "from" in flags:
            continue
        target = workdir / destination
        for source in sources:
            local = ROOT / source
            if local.is_dir() or destination.endswith("/") or len(sources) > 1:
                path = target if local.is_dir() else target / PurePosixPath(source).name
            else:
                path = target
            layout[str(path)] = local
    return layout


def image_env_here(stage: Stage, tmp_path: Path) -> dict[str, str]:
    """The Dockerfile's ENV and nothing else, its image paths mapped to this checkout (COPY'd
    paths) and this virtualenv (/opt/venv)."""
    layout = image_layout(stage)
    venv = Path(sys.prefix)

    def here(item: str) -> str:
        if item in layout:
            return str(layout[item])
        if item == "/opt/venv" or item.startswith("/opt/venv/"):
            return str(venv / item.removeprefix("/opt/venv").lstrip("/"))
        return item

    env = {
        key: ":".join(here(item) for item in value.split(":"))
        for key, value in stage_env(stage, os.defpath).items()
    }
    env["CARELEDGER_DEV_ISSUER_DIR"] = str(tmp_path / "dev-issuer")
    return env


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )


def rejects_kek(value: str) -> str | None:
    """The settings' error for CARELEDGER_KEK=value, or None if the value is accepted."""
    url = "postgresql+asyncpg://u:p@127.0.0.1:1/db"
    try:
        IntakeSettings(database_url=url, keystore_database_url=url, kek=value)
    except ValidationError as exc:
        return str(exc)
    return None


def healthcheck_code(stage: Stage) -> str:
    args = last(stage, "HEALTHCHECK").args
    match = re.search(r"\bCMD\s+(\[.*\])\s*$", args)
    assert match, "HEALTHCHECK must use CMD in the JSON (exec) form"
    argv = json.loads(match[1])
    assert argv[:2] == ["python", "-c"], argv
    return argv[2]


@contextmanager
def http_server(health_status: int) -> Iterator[tuple[int, list[str]]]:
    """A loopback server answering /health with `health_status`; yields (port, paths seen)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(health_status if self.path == "/health" else 404)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def compose_env(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.partition("=")[::2] for item in environment)
    return {key: "" if value is None else str(value) for key, value in environment.items()}


def app_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: compose["services"][name] for name in SETTINGS}


def env_file(path: Path) -> dict[str, str]:
    values = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def requirement_names() -> set[str]:
    names = set()
    for raw in (ROOT / "requirements.txt").read_text().splitlines():
        line = raw.split("#")[0].strip()
        if line:
            names.add(canonical(re.split(r"[=<>!~\[; ]", line)[0]))
    return names


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def deployments(k8s: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    return {
        doc["metadata"]["name"]: doc
        for docs in k8s.values()
        for doc in docs
        if doc["kind"] == "Deployment"
    }


def container_of(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def secret_template(k8s: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    (secret,) = k8s[SECRET_TEMPLATE]
    assert secret["kind"] == "Secret"
    return secret


# ---- the services themselves -----------------------------------------------------------------


def test_the_five_services_have_distinct_default_ports_that_the_image_exposes(
    final_stage: Stage,
) -> None:
    with_main = {p.parent.name for p in (ROOT / "services").glob("*/__main__.py")}
    assert with_main == set(SETTINGS)
    assert len(set(DEFAULT_PORTS.values())) == len(DEFAULT_PORTS)
    exposed: set[int] = set()
    for word in last(final_stage, "EXPOSE").args.split():
        low, _, high = word.split("/")[0].partition("-")
        exposed.update(range(int(low), int(high or low) + 1))
    assert set(DEFAULT_PORTS.values()) <= exposed


# ---- Dockerfile ------------------------------------------------------------------------------


def test_the_dockerfile_parses_into_known_instructions_in_several_stages(
    dockerfile: list[Instruction],
) -> None:
    assert dockerfile, "no instruction found"
    assert {i.keyword for i in dockerfile} <= DOCKERFILE_KEYWORDS
    assert len(stages(dockerfile)) >= 2, "expected a multi-stage build"


def test_the_parser_joins_continuations_and_skips_comments_inside_them() -> None:
    text = "# syntax=docker/dockerfile:1\nFROM a:1\nRUN one \\\n  # note\n  two\nUSER 1\n"
    assert parse_dockerfile(text) == [
        Instruction("FROM", "a:1", 2),
        Instruction("RUN", "one two", 3),
        Instruction("USER", "1", 6),
    ]
    with pytest.raises(ValueError, match="continuation"):
        parse_dockerfile("FROM a:1\nRUN one \\\n")


def test_every_base_image_is_pinned_python_3_11_slim_and_never_latest(
    dockerfile: list[Instruction],
) -> None:
    all_stages = stages(dockerfile)
    names = {stage.name for stage in all_stages if stage.name}
    bases = [stage.base for stage in all_stages if stage.base not in names]
    assert bases
    for base in bases:
        assert "$" not in base, f"unresolved build argument in FROM {base}"
        repository, _, tag = base.partition("@")[0].rpartition(":")
        assert repository == "python", base
        assert re.fullmatch(r"3\.11\.\d+-slim(-\w+)?", tag), f"{base}: pin python 3.11.x-slim"


def test_the_image_runs_as_a_numeric_non_root_user(final_stage: Stage) -> None:
    user = last(final_stage, "USER").args
    uid, _, gid = user.partition(":")
    assert uid.isdigit(), f"USER {user}: numeric, so that runAsNonRoot can verify it"
    assert int(uid) != 0
    assert not gid or int(gid) != 0


def test_requirements_are_installed_before_the_code_is_copied(
    dockerfile: list[Instruction],
) -> None:
    def first(predicate: Any) -> int:
        return next(n for n, i in enumerate(dockerfile) if predicate(i))

    copies_requirements = first(
        lambda i: i.keyword == "COPY" and "requirements.txt" in copy_args(i)[1]
    )
    installs = first(lambda i: i.keyword == "RUN" and "pip install" in i.args)
    copies_code = first(
        lambda i: (
            i.keyword == "COPY"
            and any(s.rstrip("/") in {"libs", "services"} for s in copy_args(i)[1])
        )
    )
    assert copies_requirements < installs < copies_code
    install = dockerfile[installs].args
    assert "--no-cache-dir" in install
    assert re.search(r"-r \S*requirements\.txt", install)


def test_pythonpath_and_the_service_switch_are_set_in_the_image(final_stage: Stage) -> None:
    env = stage_env(final_stage, "/usr/bin:/bin")
    assert env["PYTHONPATH"] == "/app/libs:/app/services"
    assert "SERVICE" in env
    layout = image_layout(final_stage)
    for entry in env["PYTHONPATH"].split(":"):
        assert entry in layout and layout[entry].is_dir(), f"{entry} is not copied as a folder"


def test_everything_copied_exists_in_the_build_context_and_is_not_dockerignored(
    dockerfile: list[Instruction], ignore_rules: list[tuple[bool, list[str]]]
) -> None:
    copies = [i for i in dockerfile if i.keyword in {"COPY", "ADD"}]
    assert not [i for i in copies if i.keyword == "ADD"], "use COPY"
    checked = 0
    for instruction in copies:
        flags, sources, _ = copy_args(instruction)
        if "from" in flags:
            continue
        for source in sources:
            local = ROOT / source
            relative = local.relative_to(ROOT).as_posix()
            assert local.exists(), f"line {instruction.line}: {source} is not in the context"
            assert not is_ignored(relative, ignore_rules), f"{source} is excluded"
            files = [p for p in local.rglob("*") if p.is_file()] if local.is_dir() else [local]
            kept = [
                p for p in files if not is_ignored(p.relative_to(ROOT).as_posix(), ignore_rules)
            ]
            dropped = {p for p in files if p not in kept}
            assert kept, f"{source}: every file in it is excluded"
            assert all("__pycache__" in p.parts for p in dropped), (
                f"{source}: .dockerignore drops more than caches: {sorted(dropped)[:5]}"
            )
            checked += 1
    assert checked >= 3


def test_dockerignore_keeps_secrets_environments_tests_and_caches_out_of_the_context(
    ignore_rules: list[tuple[bool, list[str]]],
) -> None:
    for path in [
        ".git/HEAD",
        ".venv/bin/python",
        ".local/kek",
        ".local/pg/password",
        ".local/dev-issuer/private.pem",
        "deploy/docker/.env",
        "tests/unit/test_container_files.py",
        ".pytest_cache/v/cache/lastfailed",
        ".mypy_cache/3.11/events/app.data.json",
        ".ruff_cache/CACHEDIR.TAG",
        ".hypothesis/examples/x",
        "libs/events/__pycache__/app.cpython-311.pyc",
        "services/intake/__pycache__/app.cpython-311.pyc",
        "deploy/stack.sh",
    ]:
        assert is_ignored(path, ignore_rules), f"{path} would be sent to the builder"
    for path in ["libs/events/app.py", "services/intake/__main__.py", "deploy/topics.py"]:
        assert not is_ignored(path, ignore_rules), path


def test_the_dockerignore_matcher_follows_dockers_segment_rules() -> None:
    rules = dockerignore_rules("*\n!keep/\n**/__pycache__\ndocs/*.md\n!docs/README.md\n")
    assert is_ignored("a.txt", rules)
    assert is_ignored("dir/deep/file", rules)  # `*` matches the parent folder `dir`
    assert not is_ignored("keep/x/y.py", rules)
    assert is_ignored("keep/x/__pycache__/y.pyc", rules)
    assert is_ignored("__pycache__/y.pyc", rules)  # `**` spans zero folders too
    assert not _segments_match(["*.md"], ["docs", "a.md"])  # `*` does not cross a slash
    assert not is_ignored("docs/README.md", dockerignore_rules("docs/*.md\n!docs/README.md"))


def test_the_healthcheck_asks_health_with_pythons_urllib_on_each_default_port(
    final_stage: Stage,
) -> None:
    args = last(final_stage, "HEALTHCHECK").args
    assert "curl" not in args and "wget" not in args
    code = healthcheck_code(final_stage)
    assert "urllib.request" in code
    paths = re.findall(r"http://[^/'\"]+(/[^'\"?]*)", code)
    assert paths == ["/health"]
    (ports,) = [
        ast.literal_eval(node) for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Dict)
    ]
    assert ports == DEFAULT_PORTS


def test_the_healthcheck_command_passes_on_a_healthy_service_and_fails_otherwise(
    final_stage: Stage, tmp_path: Path
) -> None:
    argv = ["python", "-c", healthcheck_code(final_stage)]
    env = image_env_here(final_stage, tmp_path)
    for status, healthy in [(200, True), (503, False)]:
        with http_server(status) as (port, seen):
            result = run(argv, {**env, "SERVICE": "intake", "INTAKE_PORT": str(port)})
        assert (result.returncode == 0) is healthy, (status, result.stderr)
        assert seen == ["/health"]


# Run in the image's environment. Installed distributions that requirements.txt does not name
# (the dev tools of this virtualenv) are hidden, as they are absent from the image: importing
# one raises ModuleNotFoundError, which only an optional import survives.
IMPORT_AS_IN_THE_IMAGE = """
import importlib.abc, importlib.metadata, json, re, sys

allowed = set(json.loads(sys.argv[1]))
owners = importlib.metadata.packages_distributions()
hidden = []


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


class HideDevPackages(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        top = name.partition(".")[0]
        dists = {canonical(d) for d in owners.get(top, [])}
        if dists and not dists & allowed:
            hidden.append(top)
            raise ModuleNotFoundError(f"No module named {name!r} in the image", name=name)
        return None


sys.meta_path.insert(0, HideDevPackages())
import intake.app, assessment.app, referral.app, archive.app, notify.app

try:
    import pytest
except ModuleNotFoundError:
    pass
used = {d for m in list(sys.modules) for d in owners.get(m.partition(".")[0], [])}
print(json.dumps({"used": sorted(map(canonical, used)), "hidden": sorted(set(hidden))}))
"""


def test_the_services_import_with_only_the_environment_the_dockerfile_sets(
    final_stage: Stage, tmp_path: Path
) -> None:
    # `python -m venv` on 3.11 also installs pip and setuptools, so the image has them too.
    allowed = sorted(requirement_names() | {"pip", "setuptools"})
    argv = ["python", "-c", IMPORT_AS_IN_THE_IMAGE, json.dumps(allowed)]
    result = run(argv, image_env_here(final_stage, tmp_path))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"fastapi", "sqlalchemy", "aiokafka", "pydantic-settings"} <= set(report["used"])
    assert "pytest" in report["hidden"], "the dev packages were not hidden: check is void"
    assert set(report["used"]) <= set(allowed)


def test_the_entrypoint_runs_python_dash_m_service_and_needs_service_set(
    final_stage: Stage, tmp_path: Path
) -> None:
    entrypoint = json_form(last(final_stage, "ENTRYPOINT"))
    assert entrypoint[:2] == ["/bin/sh", "-c"]
    assert re.search(r'exec python -m "\$\{SERVICE', entrypoint[2])
    env = image_env_here(final_stage, tmp_path)

    unset = run(entrypoint, {**env, "SERVICE": ""})
    assert unset.returncode != 0
    assert "set SERVICE" in unset.stderr

    # No database settings in this environment: `python -m intake` gets as far as reading
    # its settings and stops there, before it could serve or connect anywhere.
    intake = run(entrypoint, {**env, "SERVICE": "intake"})
    assert intake.returncode != 0
    assert "IntakeSettings" in intake.stderr and "database_url" in intake.stderr


def test_the_topics_job_runs_deploy_topics_from_the_image(
    final_stage: Stage, compose: dict[str, Any], tmp_path: Path
) -> None:
    topics = compose["services"]["topics"]
    argv = topics["entrypoint"]
    assert argv[0] == "python"
    image_path = str(PurePosixPath(last(final_stage, "WORKDIR").args) / argv[1])
    assert image_layout(final_stage).get(image_path) == ROOT / "deploy" / "topics.py"
    assert topics["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    listed = run([*argv, "--list"], image_env_here(final_stage, tmp_path))
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.splitlines()) == 2 * len(SETTINGS)


# ---- compose ---------------------------------------------------------------------------------


def test_compose_defines_every_service_that_another_depends_on(compose: dict[str, Any]) -> None:
    services = compose["services"]
    conditions = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, service in services.items():
        depends_on = service.get("depends_on") or {}
        if isinstance(depends_on, list):
            depends_on = {target: {"condition": "service_started"} for target in depends_on}
        for target, spec in depends_on.items():
            assert target in services, f"{name} depends on undefined {target}"
            condition = spec.get("condition", "service_started")
            assert condition in conditions, (name, target, condition)
            if condition == "service_healthy":
                check = services[target].get("healthcheck") or {}
                assert check.get("test") and not check.get("disable"), target
            if condition == "service_completed_successfully":
                assert str(services[target].get("restart", "no")) == "no", target
    for name, service in app_services(compose).items():
        assert service["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "kafka": {"condition": "service_healthy"},
            "topics": {"condition": "service_completed_successfully"},
        }, name


def test_compose_builds_from_paths_that_exist(compose: dict[str, Any]) -> None:
    built = {name: s["build"] for name, s in compose["services"].items() if "build" in s}
    assert set(SETTINGS) | {"topics"} <= set(built)
    for name, build in built.items():
        context = (COMPOSE_FILE.parent / build["context"]).resolve()
        assert context == ROOT, f"{name}: the build context must be the repository root"
        assert (context / build.get("dockerfile", "Dockerfile")).resolve() == DOCKERFILE
    images = {compose["services"][name]["image"] for name in built}
    assert len(images) == 1, "one image for all: same tag everywhere"
    for name, service in compose["services"].items():
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0] if isinstance(volume, str) else volume["source"]
            if source.startswith((".", "/")):
                assert (COMPOSE_FILE.parent / source).exists(), f"{name}: {source} is missing"


def test_compose_publishes_ports_on_loopback_only(compose: dict[str, Any]) -> None:
    published = 0
    for name, service in compose["services"].items():
        for port in service.get("ports") or []:
            if isinstance(port, dict):
                host_ip = port.get("host_ip")
            else:
                parts = str(port).split(":")
                host_ip = parts[0] if len(parts) == 3 else None
            assert host_ip == "127.0.0.1", f"{name}: {port} is not bound to 127.0.0.1"
            published += 1
    assert published >= len(SETTINGS)


def test_each_compose_service_sets_its_own_database_port_and_the_shared_settings(
    compose: dict[str, Any],
) -> None:
    for name, service in app_services(compose).items():
        prefix = name.upper()
        env = compose_env(service)
        assert env["SERVICE"] == name
        assert env[f"{prefix}_HOST"] == ALL_INTERFACES
        assert env[f"{prefix}_PORT"] == str(DEFAULT_PORTS[name])
        assert service["ports"] == [f"127.0.0.1:{DEFAULT_PORTS[name]}:{DEFAULT_PORTS[name]}"]
        for key in SHARED_ENV:
            assert env.get(key), f"{name}: {key} is not set"
        own = re.fullmatch(
            r"postgresql\+asyncpg://.+@postgres:5432/(\w+)", env[f"{prefix}_DATABASE_URL"]
        )
        keys = re.fullmatch(
            r"postgresql\+asyncpg://.+@postgres:5432/(\w+)", env["KEYSTORE_DATABASE_URL"]
        )
        assert own and own[1] == f"careledger_{name}"
        assert keys and keys[1] == "careledger_keys"
        others = {f"{other.upper()}_DATABASE_URL" for other in SETTINGS if other != name}
        assert not others & set(env), f"{name} gets another service's database URL"
    assert compose_env(compose["services"]["topics"])["KAFKA_BOOTSTRAP_SERVERS"]


def test_the_init_script_creates_exactly_the_databases_the_services_use(
    compose: dict[str, Any],
) -> None:
    created = re.findall(r"^\s*CREATE DATABASE (\w+)", INIT_SQL.read_text(), re.I | re.M)
    expected = {f"careledger_{name}" for name in SETTINGS} | {"careledger_keys"}
    assert sorted(created) == sorted(expected)
    mounts = compose["services"]["postgres"]["volumes"]
    assert "./initdb:/docker-entrypoint-initdb.d:ro" in mounts


def test_compose_pins_postgres_and_kafka_images(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, repository in [("postgres", "postgres"), ("kafka", "apache/kafka")]:
        image_repository, _, tag = services[name]["image"].rpartition(":")
        assert image_repository == repository
        assert tag != "latest" and re.match(r"\d+\.\d+", tag), services[name]["image"]
    assert services["kafka"]["image"].startswith("apache/kafka:4.")
    kafka_env = compose_env(services["kafka"])
    assert kafka_env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert kafka_env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_env_example_lists_every_secret_with_placeholders_that_are_refused(
    compose: dict[str, Any],
) -> None:
    text = COMPOSE_FILE.read_text()
    example = env_file(ENV_EXAMPLE)
    referenced = set(re.findall(r"\$\{(\w+)", text))
    required = set(re.findall(r"\$\{(\w+):\?", text))
    defaulted = set(re.findall(r"\$\{(\w+):-", text))
    assert required == {"POSTGRES_PASSWORD", "CARELEDGER_KEK"}
    assert referenced <= set(example) | defaulted
    # Every use of a secret demands it (compose stops on an unset or empty value).
    for variable, modifier in re.findall(r"\$\{(\w+)(:[?-])?", text):
        assert variable not in required or modifier == ":?", variable
    assert example["POSTGRES_PASSWORD"] == "", "compose refuses an empty password"
    refusal = rejects_kek(example["CARELEDGER_KEK"])
    assert refusal and "placeholder" in refusal
    assert rejects_kek(base64.b64encode(os.urandom(32)).decode()) is None


def _compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker is None:
        return None
    probe = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, timeout=60, check=False
    )
    return [docker, "compose"] if probe.returncode == 0 else None


def test_docker_compose_accepts_the_file_and_refuses_the_example_env(tmp_path: Path) -> None:
    cli = _compose_cli()
    if cli is None:
        pytest.skip("`docker compose` is not available here (no compose plugin for the client)")
    secrets = {"POSTGRES_PASSWORD": "0123456789abcdef", "CARELEDGER_KEK": "placeholder-checked"}
    filled = tmp_path / "filled.env"
    filled.write_text("".join(f"{k}={v}\n" for k, v in secrets.items()))
    env = {k: v for k, v in os.environ.items() if k not in env_file(ENV_EXAMPLE)}
    base = [*cli, "-f", str(COMPOSE_FILE), "--env-file"]

    quiet = subprocess.run(
        [*base, str(filled), "config", "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )
    assert quiet.returncode == 0, quiet.stderr
    rendered = subprocess.run(
        [*base, str(filled), "config", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )
    assert rendered.returncode == 0, rendered.stderr
    model = json.loads(rendered.stdout)
    intake = model["services"]["intake"]
    assert intake["build"]["context"] == str(ROOT)
    assert intake["environment"]["INTAKE_DATABASE_URL"].endswith(
        ":0123456789abcdef@postgres:5432/careledger_intake"
    )
    assert {p["host_ip"] for s in model["services"].values() for p in s.get("ports", [])} == {
        "127.0.0.1"
    }

    refused = subprocess.run(
        [*base, str(ENV_EXAMPLE), "config", "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )
    assert refused.returncode != 0
    assert "POSTGRES_PASSWORD" in refused.stderr


# ---- Kubernetes ------------------------------------------------------------------------------


def test_the_kustomization_lists_exactly_the_manifests_present(
    k8s: dict[str, list[dict[str, Any]]],
) -> None:
    (kustomization,) = k8s["kustomization.yaml"]
    resources = kustomization["resources"]
    assert len(resources) == len(set(resources))
    manifests = set(k8s) - {"kustomization.yaml"}
    # The Secret template is not a resource: `apply -k` must not overwrite the real Secret.
    assert SECRET_TEMPLATE in manifests
    assert set(resources) == manifests - {SECRET_TEMPLATE}
    assert kustomization["namespace"] == "careledger"
    for name, docs in k8s.items():
        assert docs, f"{name} is empty"
        for doc in docs:
            assert doc.get("kind") and doc.get("apiVersion"), name


def test_each_deployment_probes_ready_and_health_on_its_services_default_port(
    k8s: dict[str, list[dict[str, Any]]],
) -> None:
    found = deployments(k8s)
    assert set(found) == set(SETTINGS)
    services = {
        doc["metadata"]["name"]: doc
        for docs in k8s.values()
        for doc in docs
        if doc["kind"] == "Service"
    }
    for name, deployment in found.items():
        port = DEFAULT_PORTS[name]
        container = container_of(deployment)
        named = {p.get("name"): p["containerPort"] for p in container["ports"]}
        assert list(named.values()) == [port], name

        def resolve(value: int | str, named: dict[str | None, int] = named) -> int:
            return named[value] if isinstance(value, str) else value

        for probe, path in [("readinessProbe", "/ready"), ("livenessProbe", "/health")]:
            get = container[probe]["httpGet"]
            assert get["path"] == path, (name, probe)
            assert resolve(get["port"]) == port, (name, probe)
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["SERVICE"] == name
        assert env[f"{name.upper()}_PORT"] == str(port)
        assert env[f"{name.upper()}_HOST"] == ALL_INTERFACES
        (service_port,) = services[name]["spec"]["ports"]
        assert service_port["port"] == port and resolve(service_port["targetPort"]) == port
        selector = services[name]["spec"]["selector"]
        assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


def test_each_deployment_runs_non_root_read_only_unprivileged_with_a_memory_limit(
    k8s: dict[str, list[dict[str, Any]]], final_stage: Stage
) -> None:
    image_uid = int(last(final_stage, "USER").args.partition(":")[0])
    for name, deployment in deployments(k8s).items():
        pod = deployment["spec"]["template"]["spec"]
        container = container_of(deployment)
        pod_context = pod.get("securityContext") or {}
        context = {**pod_context, **(container.get("securityContext") or {})}
        assert context.get("runAsNonRoot") is True, name
        assert context.get("runAsUser", image_uid) == image_uid, name
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], name
        resources = container["resources"]
        assert resources["limits"]["memory"] == "256Mi", name
        assert resources["requests"]["memory"] and resources["requests"]["cpu"], name


def test_each_deployment_gets_its_database_kafka_keystore_and_kek_and_no_service_links(
    k8s: dict[str, list[dict[str, Any]]],
) -> None:
    docs = [doc for name, docs in k8s.items() if name != SECRET_TEMPLATE for doc in docs]
    config_maps = {
        d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"
    }
    secret = secret_template(k8s)
    secrets = {secret["metadata"]["name"]: secret["stringData"]}
    for name, deployment in deployments(k8s).items():
        pod = deployment["spec"]["template"]["spec"]
        # Service links would set e.g. INTAKE_PORT=tcp://... from the Service named intake.
        assert pod.get("enableServiceLinks") is False, name
        container = container_of(deployment)
        provided = set()
        for entry in container.get("env", []):
            ref = (entry.get("valueFrom") or {}).get("secretKeyRef")
            if ref:
                assert ref["key"] in secrets[ref["name"]], (name, ref)
            provided.add(entry["name"])
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                provided |= set(config_maps[source["configMapRef"]["name"]])
            if "secretRef" in source:
                provided |= set(secrets[source["secretRef"]["name"]])
        needed = {f"{name.upper()}_DATABASE_URL", *SHARED_ENV}
        assert needed <= provided, f"{name} lacks {needed - provided}"
        others = {f"{o.upper()}_DATABASE_URL" for o in SETTINGS if o != name}
        assert not others & provided, f"{name} gets another service's database URL"


def test_the_secret_template_holds_only_placeholders_the_services_refuse(
    k8s: dict[str, list[dict[str, Any]]],
) -> None:
    secret = secret_template(k8s)
    assert secret["metadata"]["namespace"] == "careledger"
    data = secret["stringData"]
    refusal = rejects_kek(data["CARELEDGER_KEK"])
    assert refusal and "placeholder" in refusal
    for key, value in data.items():
        if key.endswith("_DATABASE_URL"):
            host = re.search(r"@([^:/]+)", value)
            assert host and host[1].endswith(".invalid"), f"{key}: use a .invalid placeholder"
    (config_map,) = k8s["configmap.yaml"]
    assert config_map["data"]["CARELEDGER_DEV_AUTH"] == "false"


def test_kustomize_renders_everything_into_the_careledger_namespace() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed here")
    rendered = run([kubectl, "kustomize", str(K8S_DIR)], dict(os.environ))
    assert rendered.returncode == 0, rendered.stderr
    docs = [d for d in yaml.safe_load_all(rendered.stdout) if d]
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == sorted(["Namespace", "ConfigMap"] + ["Deployment", "Service"] * len(SETTINGS))
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "careledger", doc["metadata"]["name"]
        if doc["kind"] == "Deployment":
            image = container_of(doc)["image"]
            tag = re.fullmatch(r"(?:\S+/)?careledger:([\w.-]+)", image)
            assert tag and tag[1] != "latest", image
