"""qrt's benchmarks (issue 6); run them with `python bench/run.py`."""
