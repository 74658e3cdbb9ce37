"""``python -m console`` (``make run``, ``make api``): the API and the staff console in one
process, served with uvicorn."""

from api.main import main
from console.app import create_app

main(create_app)
