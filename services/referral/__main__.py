"""`python -m referral`: serve the referral service with uvicorn."""

import uvicorn

from referral.app import ReferralSettings, create_app

if __name__ == "__main__":
    settings = ReferralSettings()  # type: ignore[call-arg]
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
