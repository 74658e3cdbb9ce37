"""Complaints (CP rules): vocabulary, messages, state, guards, steps, clocks, views, records."""
