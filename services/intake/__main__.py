"""`python -m intake`: serve the intake service with uvicorn."""

import uvicorn

from intake.app import IntakeSettings, create_app

if __name__ == "__main__":
    settings = IntakeSettings()  # type: ignore[call-arg]
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
