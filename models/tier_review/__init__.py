"""CC-04 the six-monthly tier review of each department's customers (models.case kernel)."""
