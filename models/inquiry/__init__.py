"""CC-06 inquiries: the rules of a customer's inquiry, answered within 24 hours (models.case kernel)."""
