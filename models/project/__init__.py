"""Client projects (ND rules): vocabulary, messages, state, guards, steps, clocks, views, records."""
