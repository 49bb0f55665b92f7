"""mockprock: a stand-in proctoring provider for Open edX development."""

__version__ = "2.0.0"
