"""Driving adapters: the command line (and, later, the HTTP app)."""
