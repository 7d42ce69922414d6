"""Key store against real PostgreSQL: KEK rotation (`python -m events.keystore rotate`) and
shredding every key of a child or a case at once."""

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from events.errors import KeyShredded, KeyUnavailable
from events.keystore import KeyStore, kek_id, rotate

ROOT = Path(__file__).resolve().parents[2]
LIVE = ["case-1", "case-3", "child-1"]


async def make_keys(store: KeyStore, kek: bytes) -> dict[str, bytes]:
    """Keys made under the store's KEK (one of them shredded), and one wrapped by the same KEK
    before KEK ids were recorded; the live ones, unwrapped."""
    keys = {scope: await store.key_for_writing(scope) for scope in [*LIVE[:2], "case-2"]}
    await store.shred("case-2", "handed over")
    legacy = os.urandom(32)
    async with store.engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO data_keys (scope, wrapped_key) VALUES ('child-1', :w)"),
            {"w": aes_key_wrap(kek, legacy)},
        )
    return {LIVE[0]: keys[LIVE[0]], LIVE[1]: keys[LIVE[1]], "child-1": legacy}


async def stored(store: KeyStore) -> list[tuple[str, bytes | None, str | None]]:
    async with store.engine.connect() as conn:
        rows = await conn.execute(text("SELECT scope, wrapped_key, kek_id FROM data_keys"))
        return sorted(tuple(r) for r in rows)


async def test_rotation_rewraps_every_live_key_under_the_new_kek_and_retires_the_old(keystore, kek):
    old, new = kek, os.urandom(32)
    keys = await make_keys(keystore, old)
    lines: list[str] = []
    assert await rotate(keystore.engine, old, new, batch=2, progress=lines.append) == 3
    assert lines[0].startswith("3 live data keys to re-wrap") and "re-wrapped 3 of 3" in lines
    with_new, with_old = KeyStore(keystore.engine, new), KeyStore(keystore.engine, old)
    for scope, key in keys.items():
        assert await with_new.key_for_reading(scope) == key
        with pytest.raises(KeyUnavailable):
            await with_old.key_for_reading(scope)
    with pytest.raises(KeyShredded):
        await with_new.key_for_reading("case-2")
    for scope, wrapped, wrapped_by in await stored(keystore):  # nothing the old KEK opens
        if wrapped is None:
            assert scope == "case-2"
            continue
        assert wrapped_by == kek_id(new)
        with pytest.raises(InvalidUnwrap):
            aes_key_unwrap(old, wrapped)
    with pytest.raises(DBAPIError, match="is retired"):  # a service still wrapping with it
        await with_old.key_for_writing("case-4")


async def test_while_rotating_a_service_holding_both_keks_reads_keys_wrapped_by_either(
    keystore, kek
):
    old, new = kek, os.urandom(32)
    keys = await make_keys(keystore, old)
    both = KeyStore(keystore.engine, new, previous=[old])
    keys["case-4"] = await both.key_for_writing("case-4")  # new keys: under the new KEK
    for scope, key in keys.items():
        assert await both.key_for_reading(scope) == key
    assert dict((s, by) for s, _, by in await stored(keystore))["case-4"] == kek_id(new)


async def test_the_rotate_command_reads_the_keks_from_files_or_the_environment(
    keystore, kek, tmp_path
):
    old, new = kek, os.urandom(32)
    keys = await make_keys(keystore, old)
    (tmp_path / "old").write_text(b64(old) + "\n")
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT / "libs"),
        "KEYSTORE_MIGRATION_DATABASE_URL": keystore.engine.url.render_as_string(False),
        "CARELEDGER_PREVIOUS_KEK_FILE": str(tmp_path / "old"),
        "CARELEDGER_KEK": b64(new),
    }
    done = run_rotate(env)
    assert done.returncode == 0, done.stderr
    assert "3 live data keys to re-wrap" in done.stdout and "re-wrapped 3 of 3" in done.stdout
    assert f"KEK {kek_id(old)} is retired" in done.stdout
    for scope, key in keys.items():
        assert await KeyStore(keystore.engine, new).key_for_reading(scope) == key
    again = run_rotate(env)  # nothing left: it says so, and succeeds
    assert again.returncode == 0 and "0 live data keys" in again.stdout
    del env["CARELEDGER_KEK"]
    assert "set CARELEDGER_KEK_FILE" in run_rotate(env).stderr


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def run_rotate(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "events.keystore", "rotate", "--batch", "2"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


async def test_shredding_a_childs_scopes_destroys_all_their_keys_in_one_go(keystore):
    for scope in ["child-1", "case-1", "case-2", "child-2"]:
        await keystore.key_for_writing(scope)
    child_and_cases = ["child-1", "case-1", "case-2", "case-3"]  # case-3 has no key yet
    await keystore.shred_scopes(child_and_cases, "archive handed over")
    for scope in child_and_cases:
        with pytest.raises(KeyShredded):
            await keystore.key_for_reading(scope)
    with pytest.raises(KeyShredded):  # a tombstone: no key is ever made for it
        await keystore.key_for_writing("case-3")
    assert len(await keystore.key_for_reading("child-2")) == 32
    await keystore.shred_scopes(["child-1"], "again")  # keeps the first shred's reason
    async with keystore.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT scope, wrapped_key IS NULL, shred_reason FROM data_keys ORDER BY scope")
        )
        shredded = {r.scope: r.shred_reason for r in rows if r[1]}
    assert shredded == dict.fromkeys(child_and_cases, "archive handed over")


def count_statements(store: KeyStore) -> list[str]:
    """The first word of every statement the store's engine sends, and the isolation level of
    the connection it went on (AUTOCOMMIT: no BEGIN/COMMIT round trips around it)."""
    from sqlalchemy import event

    sent: list[str] = []

    def record(conn, cursor, statement, *rest) -> None:  # type: ignore[no-untyped-def]
        sent.append(f"{statement.split()[0]} {conn.get_execution_options().get('isolation_level')}")

    event.listen(store.engine.sync_engine, "before_cursor_execute", record)
    return sent


async def test_a_new_data_key_costs_one_statement_and_is_what_a_fresh_store_reads(keystore, kek):
    """On the request path of every new child: one INSERT ... RETURNING, no read-back."""
    scope = f"child-{os.urandom(6).hex()}"
    sent = count_statements(keystore)
    key = await keystore.key_for_writing(scope)
    assert sent == ["INSERT AUTOCOMMIT"]
    assert await KeyStore(keystore.engine, kek).key_for_reading(scope) == key


async def test_a_second_writer_gets_the_key_the_first_stored(keystore, kek):
    scope = f"child-{os.urandom(6).hex()}"
    first = await keystore.key_for_writing(scope)
    assert await KeyStore(keystore.engine, kek).key_for_writing(scope) == first


async def test_a_shredded_scope_gets_no_new_key_from_a_store_that_never_saw_it(keystore, kek):
    scope = f"child-{os.urandom(6).hex()}"
    await keystore.key_for_writing(scope)
    await keystore.shred(scope, "handed over")
    with pytest.raises(KeyShredded):
        await KeyStore(keystore.engine, kek).key_for_writing(scope)
