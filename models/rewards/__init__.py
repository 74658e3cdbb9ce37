"""ND-12 year-end rewards: the rules of the chain (models.case kernel)."""
