"""Reliability: kills, concurrent runs, a dead esbuild, a full disk, bad inputs and fuzzing.

The scenarios live in the ``_*.py`` modules and take a size (kills, rounds, modules), so the
tests run them small and ``bench/reliability.py`` runs them large and writes
``docs/reliability.md``.
"""
