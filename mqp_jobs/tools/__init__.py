"""The tools beside the library: the demo, the benchmark suite, throwaway databases and servers.

Nothing in the library imports them (``mqp-jobs demo`` and ``bench`` load them when run). They
use the public API of ``mqp_jobs``, each other, and their own statements in ``tools/sql/``;
tests/test_layout.py holds them to that.
"""
