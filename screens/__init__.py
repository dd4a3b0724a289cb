"""Textual screens of qrt; each composes widgets and reacts to messages."""
