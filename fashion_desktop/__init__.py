"""Fashion Desktop: offline visual search and captions for a stylist's photo library.

The package root and its non-UI modules import no Qt (see tests/test_architecture.py).
"""

import os

__version__ = "0.1.0"

# onnxruntime (1.32) otherwise writes a device id under ~/.cache/Microsoft and has telemetry built in: the app
# promises to work offline and to write only in its own data directory. Set before onnxruntime is imported.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"
