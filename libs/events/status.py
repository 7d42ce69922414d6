"""Health of a long-running component, reported by /ready."""

import time
from dataclasses import dataclass, field


@dataclass
class ComponentStatus:
    name: str
    state: str = "starting"  # starting | running | standby | reconnecting | stopped
    last_error: str | None = None
    since: float = field(default_factory=time.monotonic)
    restarts: int = 0

    def set(self, state: str, error: BaseException | str | None = None) -> None:
        if state != self.state:
            self.since = time.monotonic()
        self.state = state
        if error is not None:
            self.last_error = (
                error if isinstance(error, str) else f"{type(error).__name__}: {error}"
            )

    @property
    def healthy(self) -> bool:
        return self.state in {"running", "standby"}

    def report(self) -> dict[str, object]:
        return {
            "state": self.state,
            "seconds_in_state": round(time.monotonic() - self.since, 1),
            "restarts": self.restarts,
            "last_error": self.last_error,
        }
