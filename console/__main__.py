"""``python -m console`` (``make run``, ``make api``): the API and the staff console in one
process, served with uvicorn."""

import uvicorn

from config import get_settings
from console.app import create_app
from infra.logs import configure_logging
from infra.process import settle_heap
from infra.telemetry import configure_tracing


def main() -> None:
    settings = get_settings()
    configure_logging(settings)
    configure_tracing(settings, "customer-workflows-api")
    app = create_app(settings)
    settle_heap(settings)
    uvicorn.run(app, host=settings.api_host, port=settings.api_port, log_level="warning")


if __name__ == "__main__":
    main()
