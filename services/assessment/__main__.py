"""`python -m assessment`: serve the assessment service with uvicorn."""

import uvicorn

from assessment.app import AssessmentSettings, create_app

if __name__ == "__main__":
    settings = AssessmentSettings()  # type: ignore[call-arg]
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
