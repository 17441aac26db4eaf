"""Fashion Desktop: offline visual search and captions for a stylist's photo library.

The package root and its non-UI modules import no Qt (see tests/test_architecture.py).
"""

__version__ = "0.1.0"
