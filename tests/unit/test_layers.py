"""The layers of ARCHITECTURE.md ("One shape for every service"), kept by import-linter: the
contracts in pyproject.toml must hold, and must cover every service's domain package."""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
FORBIDDEN_TO_DOMAINS = {"fastapi", "sqlalchemy", "aiokafka", "asyncpg", "httpx", "events.auth"}


def built() -> set[str]:
    """The services with a domain package."""
    return {p.parent.parent.name for p in (ROOT / "services").glob("*/domain/__init__.py")}


def _contract(name: str) -> dict[str, list[str]]:
    return next(c for c in CONFIG["contracts"] if c["name"].startswith(name))


def test_every_contract_is_kept() -> None:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'libs'}{os.pathsep}{ROOT / 'services'}"}
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    counts = re.search(r"Contracts: (\d+) kept, (\d+) broken", result.stdout)
    assert counts is not None and int(counts[2]) == 0, result.stdout[-2000:]
    assert int(counts[1]) == len(CONFIG["contracts"])


def test_every_domain_package_is_held_pure() -> None:
    domains = {
        f"{p.parent.parent.name}.domain" for p in (ROOT / "services").glob("*/domain/__init__.py")
    }
    purity = _contract("A domain is pure")
    assert domains <= set(purity["source_modules"]), domains - set(purity["source_modules"])
    assert "events.domain" in purity["source_modules"]
    assert set(purity["forbidden_modules"]) >= FORBIDDEN_TO_DOMAINS


def test_every_built_service_is_layered_and_independent() -> None:
    built_ = built()
    assert built_ <= set(_contract("Each service is layered")["containers"])
    assert built_ <= set(_contract("No service imports another")["modules"])
    assert set(_contract("libs/events imports no service")["forbidden_modules"]) >= built_
