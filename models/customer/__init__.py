"""Customer care (CC-01 … CC-08): the customer account as a family of case."""
