"""``python -m api`` (``make api``, ``make run``): serve the API with uvicorn."""

from api.main import main

main()
