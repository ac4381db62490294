"""``micrograd live``: watch a model learn in the browser, served by this library's training.

The page (``static/``: plain HTML, CSS and JavaScript, nothing fetched from
elsewhere) shows the class regions and the data, the loss curves, the
optimiser's state of every parameter and the computation graph of a probe point
with every node's op, plugin, data and gradient. Scripts and notebooks can use
the same JSON API (see docs/live.md).
"""

from __future__ import annotations

import json
import signal
import sys
import webbrowser
from pathlib import Path
from types import FrameType
from typing import Any

import click

from micrograd_cli._options import MAX_PARAMETERS, check_model_size, hidden_sizes
from micrograd_cli._registry import no_ops_message
from micrograd_cli.live.server import LiveServer, asset, is_loopback
from micrograd_cli.live.session import (
    MAX_STEPS,
    OPTIMIZERS,
    TASKS,
    LiveConfig,
    LiveSession,
    TrainingError,
)
from micrograd_core import MicrogradError, active_registry

__all__ = ["LiveConfig", "LiveServer", "LiveSession", "export_html", "live"]


def export_html(recording: dict[str, Any]) -> str:
    """The page as one self-contained HTML file that replays ``recording``.

    ``recording`` is what :meth:`LiveSession.record` returns. The script and the
    style sheet are written into the page, and the run as JSON whose ``<`` are
    escaped, so nothing in the data can end the script element.
    """
    page = asset("index.html").decode()
    style = asset("live.css").decode()
    script = asset("live.js").decode()
    data = json.dumps(recording, allow_nan=False, separators=(",", ":")).replace("<", "\\u003c")
    script = script.replace("</script", "<\\/script")
    replacements = {
        '<link rel="stylesheet" href="live.css">': f"<style>\n{style}</style>",
        '<script src="live.js"></script>': (
            f'<script id="recorded-run" type="application/json">{data}</script>\n'
            f"<script>\n{script}</script>"
        ),
    }
    for old, new in replacements.items():
        if old not in page:  # pragma: no cover  (the shipped page has both)
            msg = f"the page has no {old!r} to inline"
            raise RuntimeError(msg)
        page = page.replace(old, new)
    return page


@click.command()
@click.option(
    "--task",
    type=click.Choice(sorted(TASKS)),
    default="yinyang",
    show_default=True,
    help="yinyang: LLM101n's three classes. moons: micrograd's two half circles.",
)
@click.option(
    "--activation",
    help="Unary op of the hidden neurons: any registered one (micrograd ops lists them)  "
    "[default: tanh for yinyang, relu for moons]",
)
@click.option(
    "--hidden",
    callback=hidden_sizes,
    help="Sizes of the hidden layers, comma-separated (a model of at most "
    f"{MAX_PARAMETERS:,} parameters in all)  [default: 8 for yinyang, 16,16 for moons]",
)
@click.option(
    "--optimizer",
    type=click.Choice(OPTIMIZERS),
    default="adamw",
    show_default=True,
    help="adamw and adam with betas (0.9, 0.95) (adamw: weight decay 1e-4), or sgd with "
    "momentum 0.9.",
)
@click.option(
    "--lr",
    type=click.FloatRange(min=0, max=1e6),
    default=0.1,
    show_default=True,
    help="Learning rate (the page can change it).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=1, max=2**64 - 1),
    default=42,
    show_default=True,
    help="Seed of the data and the initial weights.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to serve on. Anything but loopback lets other machines drive the run.",
)
@click.option(
    "--port",
    type=click.IntRange(min=0, max=65535),
    default=8000,
    show_default=True,
    help="Port to serve on; 0 picks a free one.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the page in a web browser.")
@click.option(
    "--export",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Serve nothing: train --steps steps and write one HTML file that replays them.",
)
@click.option(
    "--steps",
    type=click.IntRange(min=0, max=10 * MAX_STEPS),
    default=100,
    show_default=True,
    help="With --export: how many steps to record.",
)
def live(
    task: str,
    activation: str | None,
    hidden: tuple[int, ...] | None,
    optimizer: str,
    lr: float,
    seed: int,
    host: str,
    port: int,
    open_browser: bool,
    export: Path | None,
    steps: int,
) -> None:
    """Watch a model learn in the browser: serve a live view of its training.

    Prints one line, serving at http://HOST:PORT/, and serves until Ctrl-C.
    The page shows the class regions with the training and validation points,
    the loss curves, every parameter with its gradient and optimiser state, and
    the computation graph of a probe point (click the plot to move it) with
    each node's op, plugin, data and gradient. Reset, play, pause and step it,
    change the learning rate. With --export it writes a page that replays a
    recorded run instead.
    """
    if hidden is not None:
        check_model_size(hidden, inputs=2, outputs=TASKS[task].classes)
    registry = active_registry()
    if not registry:
        raise click.ClickException(no_ops_message(registry))
    config = LiveConfig(task, activation, hidden, optimizer, lr, seed)
    try:
        session = LiveSession(config)
    except MicrogradError as e:
        raise click.BadParameter(str(e), param_hint="'--activation'") from None
    if export is not None:
        _export(session, export, steps)
        return
    try:
        server = LiveServer(session, host, port)
    except OSError as e:
        msg = f"cannot serve on {host}:{port}: {e.strerror or e}"
        raise click.ClickException(msg) from None
    if not is_loopback(host):
        click.echo(
            f"warning: serving on {host}, not loopback: anyone who can reach this address "
            "can read and drive the run",
            err=True,
        )
    click.echo(f"serving at {server.url}")
    if open_browser:
        webbrowser.open(server.url)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
    sys.stdout.flush()


def _export(session: LiveSession, path: Path, steps: int) -> None:
    try:
        recording = session.record(steps)
    except TrainingError as e:
        msg = f"training failed: {e}"
        raise click.ClickException(msg) from None
    try:
        path.write_text(export_html(recording), encoding="utf-8")
    except OSError as e:
        msg = f"cannot write {str(path)!r}: {e.strerror or e}"
        raise click.ClickException(msg) from None
    click.echo(f"wrote {path}: {steps} steps of {session.config.task} to replay")
