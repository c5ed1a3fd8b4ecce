"""A plan's phases as records in the network source of truth (Nautobot 2.4 with NVIDIA's nvdatamodels app):
`records` says what a phase implies, `client` speaks Nautobot's REST API, `reconcile` writes the difference."""
