"""Export-time code for export_models.py: needs torch, transformers, optimum and onnx; the app never imports it."""
