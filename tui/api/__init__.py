"""The REST client for IBM Quantum (and for `qrt serve`, which speaks the same API)."""
