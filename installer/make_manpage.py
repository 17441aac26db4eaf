"""Write the fashion-desktop(1) man page from the command line's own argparse parser, so the two never disagree.

    python installer/make_manpage.py OUT VERSION DATE      (DATE as YYYY-MM-DD; build.sh takes it from the changelog)

The parser describes the commands; the window invocation, the self-test, exit codes, files and environment are
written here, next to the generated part.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from types import ModuleType


def cli_module() -> ModuleType:
    """The module that builds the parser (it moves from fashion_desktop.cli to fashion_desktop.app.cli)."""
    for name in ("fashion_desktop.app.cli", "fashion_desktop.cli"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "build_parser"):
            return module
    raise SystemExit("make_manpage: no build_parser() in fashion_desktop.app.cli or fashion_desktop.cli")


def roff(text: str) -> str:
    """Escape text for roff: backslashes, hyphens (so they stay ASCII minus), a leading dot or quote."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text[:1] in (".", "'") else text


def option_label(action: argparse.Action) -> str:
    if not action.option_strings:
        return f"\\fI{roff(str(action.metavar or action.dest)).upper()}\\fR"
    flags = ", ".join(f"\\fB{roff(flag)}\\fR" for flag in action.option_strings)
    if action.nargs == 0:
        return flags
    metavar = action.metavar or action.dest.upper()
    return f"{flags} \\fI{roff(str(metavar))}\\fR"


def option_help(action: argparse.Action) -> str:
    text = (action.help or "").replace("%(default)s", str(action.default))
    if action.default not in (None, False, [], argparse.SUPPRESS) and action.option_strings and "default" not in text:
        text = f"{text} (default: {action.default})" if text else f"default: {action.default}"
    return roff(text)


def visible(actions: list[argparse.Action]) -> list[argparse.Action]:
    return [a for a in actions if a.help != argparse.SUPPRESS and not isinstance(a, argparse._HelpAction)]


def subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, str, argparse.ArgumentParser]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            found += [(name, helps.get(name, ""), sub) for name, sub in action.choices.items()]
    return found


def manpage(parser: argparse.ArgumentParser, module: ModuleType, version: str, date: str) -> str:
    prog = parser.prog
    lines = [
        f'.TH {prog.upper()} 1 "{date}" "{prog} {version}" "User Commands"',
        ".SH NAME",
        f"{prog} \\- {roff((parser.description or 'visual search for a photo library').rstrip('.').lower())}",
        ".SH SYNOPSIS",
        f".B {prog}",
        "[\\fIIMAGE\\fR|\\fIFOLDER\\fR ...]",
        ".br",
        f".B {prog} \\-\\-self\\-test",
        ".br",
    ]
    globals_ = [a for a in visible(parser._actions) if not isinstance(a, argparse._SubParsersAction)]
    lines += [f".B {prog}", *(f"[{option_label(a)}]" for a in globals_), "\\fICOMMAND\\fR ..."]
    lines += [
        ".SH DESCRIPTION",
        f"Without a command, \\fB{prog}\\fR opens its window on the last catalog, else on a welcome that offers "
        "to choose a folder or to start with the bundled sample catalog. A \\fIFOLDER\\fR given opens as the "
        "catalog; \\fIIMAGE\\fR files are searched with as one query (what a file manager's \\(lqOpen with\\(rq "
        "does); a file that is missing or not an image is named in the window's status bar. When the window is "
        "already open (for the same user and data directory), it receives the files and comes to the front, and "
        "the new process exits at once. The catalog is indexed in the background; drop any image on the window "
        "to see the most visually similar items of the catalog, each with a short caption. Nothing leaves the "
        "machine, and the app never writes into a catalog folder: its indexes live in the data directory.",
        ".PP",
        "\\fB\\-\\-self\\-test\\fR checks the installation: it loads the models, indexes the sample catalog into a "
        "temporary folder, searches, captions one result and builds the window offscreen.",
        ".SH OPTIONS",
    ]
    for action in globals_:
        lines += [".TP", option_label(action), option_help(action)]
    lines.append(".SH COMMANDS")
    for name, help_text, sub in subcommands(parser):
        usage = " ".join(sub.format_usage().removeprefix("usage: ").split()).replace(" [-h]", "")
        lines += [
            f'.SS "{roff(name)}"',
            roff(help_text[:1].upper() + help_text[1:]) + ".",
            ".PP",
            ".nf",
            roff(usage),
            ".fi",
        ]
        for action in visible(sub._actions):
            lines += [".TP", option_label(action), option_help(action) or roff(action.dest)]
    exit_codes = [
        ("EXIT_OK", "success"),
        ("EXIT_PARTIAL", "some inputs failed (each is reported)"),
        ("EXIT_USAGE", "usage error"),
        ("EXIT_NO_MODELS", "the models are missing or corrupt"),
        ("EXIT_NO_CATALOG", "the catalog folder is missing"),
    ]
    lines.append(".SH EXIT STATUS")
    for constant, meaning in exit_codes:
        if hasattr(module, constant):
            lines += [".TP", f"\\fB{getattr(module, constant)}\\fR", meaning]
    lines += [
        ".SH ENVIRONMENT",
        ".TP",
        "\\fBFASHION_DESKTOP_DATA_DIR\\fR",
        "Where indexes, thumbnails, settings and the log are kept (default: \\fI~/.local/share/fashion\\-desktop\\fR).",
        ".TP",
        "\\fBFASHION_DESKTOP_MODELS\\fR",
        "A folder of exported models to use instead of the bundled ones.",
        ".SH FILES",
        ".TP",
        "\\fI/opt/fashion\\-desktop/\\fR",
        "The application, its models and the sample catalog.",
        ".TP",
        "\\fI/usr/share/doc/fashion\\-desktop/copyright\\fR",
        "Copyright and licences of the application and of every component it bundles.",
        ".SH SEE ALSO",
        "The README of the project, shipped with the source.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    out, version, date = Path(argv[0]), argv[1], argv[2]
    module = cli_module()
    out.write_text(manpage(module.build_parser(), module, version, date), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
