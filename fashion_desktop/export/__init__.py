"""Exporting a board: a PDF lookbook, a contact sheet (PNG) and a ZIP of the original files with a CSV.

A layer of its own between the workers and the catalog: it paints with QtGui (QPdfWriter, QPainter, QImage,
usable on any thread once a QGuiApplication exists) but never touches widgets, so the window runs an export on a
worker thread and the command line runs it under the offscreen platform. Every export reports progress, stops
when asked, and writes atomically: a failed or cancelled export leaves no file behind.
"""
