"""qrt: a keyboard-first terminal console for IBM Quantum."""

__version__ = "0.1.0"
