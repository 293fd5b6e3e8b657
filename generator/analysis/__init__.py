"""Stage 4, analyze, by concern (see generator/analyze.py)."""
