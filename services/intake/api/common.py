"""What the intake routers share beyond `events.api`: the child registry's key, the problems
for a record out of reach or handed over, and today's date in China.

Domain refusals need nothing here: `create_service_app` turns `Refused` (422) and `Conflict`
(409) into problems, naming `domain_rule` (`intake.domain.cases.domain_rule_of`) and showing
only the code and clause of an I-7 violation, whose message may repeat the birth dates sent."""

import functools
from datetime import date

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from events.api import now
from events.backbone import Backbone
from events.keystore import decode_kek
from events.problems import Problem
from intake.domain.clock import local_date

LOOKUP_INFO = b"careledger/intake/child-lookup/v1"


@functools.lru_cache(maxsize=4)  # one per KEK held: derived once, not on every request
def lookup_key(kek: bytes) -> bytes:
    """The key of the child registry's digests (`intake.domain.children.id_digest`), derived
    from the key-encryption key (HKDF-SHA256): rotating the KEK changes every digest."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=LOOKUP_INFO).derive(kek)


def lookup_key_of(backbone: Backbone) -> bytes:
    """The registry's key of this deployment."""
    return lookup_key(decode_kek(backbone.settings.kek.get_secret_value()))


def not_found(what: str) -> Problem:
    return Problem(404, "not-found", "Not found", f"no {what} with this id is visible to you")


def gone() -> Problem:
    return Problem(410, "gone", "Archive handed over", "this child's data key was destroyed")


def today() -> date:
    """Today in China, the day a check or deregistration is dated against."""
    return local_date(now())
