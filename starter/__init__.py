"""What starts or runs things: starting a case's workflow (intake.py), the command line
(cli.py), ``make run`` (run.py) and the check of every clock by replay (verify_clocks.py).
The HTTP API is the ``api`` package."""
