"""Shared test helpers, in one place: `service` (HTTP to qrt serve), `client` (qrt's REST client), `pilot` (the app)."""
