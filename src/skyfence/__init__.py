"""skyfence: watch the sky against restricted airspace."""

__version__ = "0.1.0"

__all__ = ["__version__"]
