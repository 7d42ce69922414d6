"""`python -m archive`: serve the archive service with uvicorn."""

import uvicorn

from archive.app import ArchiveSettings, create_app

if __name__ == "__main__":
    settings = ArchiveSettings()  # type: ignore[call-arg]
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
