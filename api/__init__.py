"""The HTTP API (FastAPI), shaped like full-stack-fastapi-template's ``backend/app/api``:
``deps.py`` (the dependencies), ``routes/<resource>.py`` (one router each), ``main.py`` (the one
assembler, ``create_app``). ``python -m api`` serves it."""
