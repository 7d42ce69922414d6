"""`python -m notify`: serve the notify service with uvicorn."""

import uvicorn

from notify.app import create_app
from notify.settings import NotifySettings

if __name__ == "__main__":
    settings = NotifySettings()  # type: ignore[call-arg]
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
