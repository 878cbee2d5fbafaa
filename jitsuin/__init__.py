"""jitsuin: client certificates for a whole institution, through every CA switchover."""

__version__ = "0.1.0"
