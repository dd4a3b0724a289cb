"""`qrt serve`: the local Runtime-compatible service. Never imported by the app itself."""
