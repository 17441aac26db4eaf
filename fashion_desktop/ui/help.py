"""Help ▸ Guide and Help ▸ About: how to ask, what the shortcuts are, which version and models."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from fashion_desktop import __version__

GUIDE = """<h3>Finding similar items</h3>
<ul>
<li><b>Ask with a picture:</b> drop image files anywhere on the window, drag a picture from a web page (works
offline: the picture travels with the drag), paste one (Ctrl+V), or open one (Ctrl+O). Several images make one
combined query.</li>
<li><b>A part of a picture:</b> click a query image in the strip at the top and drag a rectangle.</li>
<li><b>More like this:</b> select items and press Enter, double-click an item, or drag items onto the query
strip.</li>
<li><b>Browse and narrow:</b> with no query the grid shows the whole catalog (choose the order). Filters (type,
colour, gender, More…) take several values each; the search box finds words in names, captions, colours, types
and any other field ("shoes" also finds "Shoe").</li>
<li><b>Captions:</b> after indexing, the whole catalog is captioned in the background (the photos on screen
first); the status bar shows how far it is and pauses it; View ▸ Caption the whole catalog in the background
turns it off. Until every photo has a caption, a word search says how many captions it covered.</li>
<li><b>Drop a folder</b> to open it as a catalog. File ▸ Recent catalogs switches between them.</li>
</ul>
<h3>Boards</h3>
<ul>
<li><b>Collect looks:</b> select items and press B (the board you last added to; the first time it asks), right-click
▸ Add to board, or drag them onto a board in the panel on the left (Ctrl+B shows or hides it).</li>
<li><b>Open a board</b> by clicking it: drag its tiles to reorder them, write a note in the detail pane, Delete
removes from the board. Back returns to where you were.</li>
<li><b>Send it on:</b> Ctrl+E exports a PDF lookbook, a contact sheet or a ZIP. Ctrl+Z undoes any board change,
a deleted board included.</li>
</ul>
<h3>Shortcuts</h3>
<table cellspacing="4">
<tr><td>Ctrl+V / Ctrl+O</td><td>search with a pasted / opened image</td></tr>
<tr><td>Enter, Ctrl+M</td><td>more like the selected items</td></tr>
<tr><td>Space</td><td>quick look (arrows: next, +/−: zoom, Esc: close)</td></tr>
<tr><td>Alt+Left / Alt+Right</td><td>back / forward (also the mouse's side buttons)</td></tr>
<tr><td>Esc</td><td>clear the query and browse</td></tr>
<tr><td>Ctrl+F</td><td>search words</td></tr>
<tr><td>Ctrl+A, Ctrl/Shift+click</td><td>select several; drag them out as files</td></tr>
<tr><td>Ctrl+Shift+C</td><td>copy the paths of the selected items</td></tr>
<tr><td>Ctrl+plus / Ctrl+minus, Ctrl+wheel</td><td>larger / smaller thumbnails</td></tr>
<tr><td>B</td><td>add the selection to a board</td></tr>
<tr><td>Delete</td><td>remove the selection from the board shown</td></tr>
<tr><td>Ctrl+E / Ctrl+B</td><td>export the board shown / show or hide the boards panel</td></tr>
<tr><td>Ctrl+Z</td><td>undo the last board change</td></tr>
<tr><td>F5</td><td>re-index the catalog</td></tr>
</table>"""


def about_text(models: list[dict[str, Any]]) -> str:
    lines = [
        f"<h3>Fashion Desktop {__version__}</h3>",
        "<p>Offline visual search and captions for your product photos. Nothing leaves this computer.</p>",
        "<p>Models: ResNet50 (image similarity) and BLIP (captions), run with onnxruntime.</p>",
    ]
    if any(m.get("random_weights") for m in models):
        lines.append("<p><b>Random-weight stand-in models are installed: results and captions are meaningless.</b></p>")
    return "".join(lines)


def models_text(models: list[dict[str, Any]]) -> str:
    lines = []
    for info in models:
        if "error" in info:
            lines.append(f"{info['model']}: {info['error']}")
        else:
            stand_in = " — RANDOM WEIGHTS (stand-in)" if info["random_weights"] else ""
            lines.append(
                f"{info['model']}: {info['source']} (revision {info['revision'] or 'unpinned'}){stand_in}"
                f"\n  {info['folder']}, int8 {'in use' if info['int8'] else 'not used'}"
            )
    return "\n\n".join(lines) or "Not checked yet."


def show_message(parent: QWidget, title: str, text: str, rich: bool = False) -> QMessageBox:
    """A window-modal box that does not block the event loop (workers' answers keep arriving)."""
    box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=parent)
    box.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    box.open()
    return box
