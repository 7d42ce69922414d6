"""Field encryption with a hand-written fake key source (no database)."""

import os

import pytest
from cryptography.exceptions import InvalidTag

from events.crypto import ENC, FieldCipher, is_token, open_token, seal
from events.errors import KeyShredded


class FakeKeys:
    def __init__(self) -> None:
        self.keys: dict[str, bytes] = {}
        self.shredded: set[str] = set()

    async def key_for_writing(self, scope: str) -> bytes:
        return self.keys.setdefault(scope, os.urandom(32))

    async def key_for_reading(self, scope: str) -> bytes:
        if scope in self.shredded:
            raise KeyShredded(scope)
        return self.keys[scope]


PERSONAL = frozenset({"child_name", "address"})


async def test_personal_fields_are_replaced_by_ciphertext_and_come_back():
    cipher = FieldCipher(FakeKeys())
    data = {"child_name": "张小明", "address": {"city": "某市"}, "triggers": [4]}
    stored = await cipher.encrypt(data, PERSONAL, "case-1", "evt-1")
    assert is_token(stored["child_name"]) and is_token(stored["address"])
    assert "张小明" not in str(stored)
    assert stored["triggers"] == [4]
    assert await cipher.decrypt(stored, "case-1", "evt-1") == data


async def test_missing_or_null_personal_fields_are_left_alone():
    cipher = FieldCipher(FakeKeys())
    stored = await cipher.encrypt({"child_name": None}, PERSONAL, "case-1", "evt-1")
    assert stored == {"child_name": None}


async def test_a_shredded_scope_cannot_be_decrypted():
    keys = FakeKeys()
    cipher = FieldCipher(keys)
    stored = await cipher.encrypt({"child_name": "x"}, PERSONAL, "case-1", "evt-1")
    keys.shredded.add("case-1")
    with pytest.raises(KeyShredded, match="case-1"):
        await cipher.decrypt(stored, "case-1", "evt-1")


def test_a_ciphertext_moved_to_another_event_or_field_fails_authentication():
    key = os.urandom(32)
    token = seal(key, "evt-1", "child_name", "x")
    assert set(token) == {ENC}
    with pytest.raises(InvalidTag):
        open_token(key, "evt-2", "child_name", token)
    with pytest.raises(InvalidTag):
        open_token(key, "evt-1", "description", token)
