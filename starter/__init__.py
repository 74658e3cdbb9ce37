"""Starters: the intake API, the command line, and ``make run``."""
