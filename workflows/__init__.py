"""Workflows: thin and deterministic; they wait, time and call (rules, activities)."""
