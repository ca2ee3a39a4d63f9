"""Benchmarks (not tests): how the server holds up with a seller's full order history.

Run ``make bench`` or ``.venv/bin/python -m bench.orders_bench --help``; results go to
``bench/results/`` and are written up in ``docs/benchmarks.md``.
"""
