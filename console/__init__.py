"""The staff console (issue 18): pages served by the API process under /console."""
