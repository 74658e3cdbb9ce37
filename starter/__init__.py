"""What starts or runs things: starting a case's workflow (intake.py), the command line
(cli.py) and ``make run`` (run.py). The HTTP API is the ``api`` package."""
