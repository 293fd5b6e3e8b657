"""One module per provider: its Provider and its rows of cases (see tests/providers/harness.py)."""
