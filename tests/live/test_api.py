"""The JSON API of ``micrograd live``, exercised from outside over a socket."""

from __future__ import annotations

import json
import math
import subprocess
import threading
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.live.conftest import MICROGRAD, Live, environment, start

LLM101N_FIRST_LOSS = 1.0122152826497561  # LLM101n's micrograd, step 1, train loss


def test_prints_one_line_with_a_free_port_on_loopback(live: Live) -> None:
    assert live.line == f"serving at http://127.0.0.1:{live.port}/\n"
    assert live.port > 0


def test_the_page_and_its_assets_are_served(live: Live) -> None:
    with urllib.request.urlopen(live.url, timeout=60) as response:
        page = response.read().decode()
        assert response.headers["Content-Type"].startswith("text/html")
    assert '<script src="live.js"></script>' in page
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for path in ("live.js", "live.css"):
        with urllib.request.urlopen(live.url + path, timeout=60) as response:
            assert response.status == 200
            assert b"http" not in response.read().replace(b"http://www.w3.org/2000/svg", b"")


def test_state_describes_model_optimizer_probe_and_graph(live: Live) -> None:
    live.request("POST", "api/reset")
    state = live.state()
    assert state["step"] == 0
    assert state["losses"] == []
    assert state["config"]["classes"] == 3
    assert state["config"]["optimizer"] == "AdamW"
    assert (len(state["data"]["train"]), len(state["data"]["val"])) == (80, 10)
    params = state["parameters"]
    assert params["columns"] == ["m", "sqrt(v)"]
    assert len(params["rows"]) == 51  # MLP(2, [8, 3])
    assert params["rows"][0]["name"] == "L0.N0.w0"
    regions = state["regions"]
    assert len(regions["probs"]) == regions["size"] ** 2
    assert all(math.isclose(sum(p), 1, abs_tol=0.01) for p in regions["probs"])
    assert state["probe"] == {"x": 0.0, "y": 0.0, "label": 0, "loss": pytest.approx(1.1, abs=1)}
    nodes, edges = state["graph"]["nodes"], state["graph"]["edges"]
    assert {n["kind"] for n in nodes} >= {"op", "parameter", "input"}
    assert {n["op"] for n in nodes} >= {"affine", "tanh", "logsumexp"}
    plugins = {n["op"]: n["plugin"] for n in nodes if n["op"]}
    assert plugins["tanh"] == plugins["affine"] == plugins["logsumexp"] == "builtin"
    root = nodes[-1]
    assert root["grad"] == 1.0
    assert root["data"] == state["probe"]["loss"]
    assert all(0 <= a < b < len(nodes) for a, b in edges)  # inputs come first


def test_steps_train_and_report_llm101ns_first_loss(live: Live) -> None:
    first = live.request("POST", "api/reset")[1]
    status, state = live.request("POST", "api/step", {"steps": 3})
    assert status == 200
    assert state["step"] == 3
    assert [loss["step"] for loss in state["losses"]] == [1, 2, 3]
    assert state["losses"][0]["train"] == pytest.approx(LLM101N_FIRST_LOSS, rel=1e-10)
    assert state["losses"][2]["train"] < state["losses"][0]["train"]
    before = [p["data"] for p in first["parameters"]["rows"]]
    after = [p["data"] for p in state["parameters"]["rows"]]
    updates = [p["update"] for p in state["parameters"]["rows"]]
    assert after != before
    assert all(p["grad"] is not None for p in state["parameters"]["rows"])
    assert any(u != 0 for u in updates)
    # the graph's values follow the new weights
    assert state["graph"]["nodes"][-1]["data"] != first["graph"]["nodes"][-1]["data"]
    assert live.state()["step"] == 3


def test_an_empty_body_steps_once_and_lr_changes_the_rate(live: Live) -> None:
    live.request("POST", "api/reset")
    assert live.request("POST", "api/step")[1]["step"] == 1
    status, state = live.request("POST", "api/step", {"steps": 1, "lr": 0.05})
    assert (status, state["step"], state["lr"]) == (200, 2, 0.05)
    assert live.request("POST", "api/reset")[1]["lr"] == 0.05  # reset keeps the chosen rate
    live.request("POST", "api/step", {"lr": 0.1})


def test_reset_gives_the_same_start(live: Live) -> None:
    first = live.request("POST", "api/reset")[1]
    live.request("POST", "api/step", {"steps": 2})
    again = live.request("POST", "api/reset")[1]
    assert again["step"] == 0
    assert again["losses"] == []
    assert again["parameters"] == first["parameters"]
    assert again["graph"] == first["graph"]


def test_the_probe_moves_and_leaves_the_training_gradients_alone(live: Live) -> None:
    live.request("POST", "api/reset")
    trained = live.request("POST", "api/step", {"steps": 2})[1]
    status, state = live.request("POST", "api/probe", {"x": 0.5, "y": -1.25, "label": 2})
    assert status == 200
    assert state["probe"]["x"] == 0.5
    assert state["probe"]["y"] == -1.25
    assert state["probe"]["label"] == 2
    inputs = {n["label"]: n["data"] for n in state["graph"]["nodes"] if n["kind"] == "input"}
    assert inputs == {"x": 0.5, "y": -1.25}
    assert state["graph"]["nodes"][-1]["data"] != trained["graph"]["nodes"][-1]["data"]
    assert state["parameters"] == trained["parameters"]
    # the label alone may be left out: it stays
    assert live.request("POST", "api/probe", {"x": 1, "y": 1})[1]["probe"]["label"] == 2
    live.request("POST", "api/probe", {"x": 0, "y": 0, "label": 0})


def _raw(method: str, path: str, data: bytes, **headers: str) -> dict[str, Any]:
    return {"method": method, "path": path, "data": data, "headers": headers}


BAD_REQUESTS = {
    "malformed JSON": (_raw("POST", "api/step", b'{"steps": 1'), 400, "not valid JSON"),
    "not an object": (_raw("POST", "api/step", b"[1, 2]"), 400, "must be a JSON object"),
    "steps a string": (_raw("POST", "api/step", b'{"steps": "3"}'), 400, "'steps' must be"),
    "steps a float": (_raw("POST", "api/step", b'{"steps": 2.0}'), 400, "'steps' must be"),
    "steps a bool": (_raw("POST", "api/step", b'{"steps": true}'), 400, "'steps' must be"),
    "steps 0": (_raw("POST", "api/step", b'{"steps": 0}'), 400, "from 1 to 1000, got 0"),
    "steps 1001": (_raw("POST", "api/step", b'{"steps": 1001}'), 400, "got 1001"),
    "lr NaN": (_raw("POST", "api/step", b'{"lr": NaN}'), 400, "NaN is not a number"),
    "lr negative": (_raw("POST", "api/step", b'{"lr": -1}'), 400, "'lr' must be"),
    "lr a string": (_raw("POST", "api/step", b'{"lr": "fast"}'), 400, "'lr' must be a number"),
    "unknown field": (_raw("POST", "api/step", b'{"stpes": 2}'), 400, "unknown field 'stpes'"),
    "reset with a field": (_raw("POST", "api/reset", b'{"seed": 2}'), 400, "unknown field"),
    "probe x missing": (_raw("POST", "api/probe", b'{"y": 1}'), 400, "missing field 'x'"),
    "probe x a string": (_raw("POST", "api/probe", b'{"x": "1", "y": 1}'), 400, "'x' must be"),
    "probe x null": (_raw("POST", "api/probe", b'{"x": null, "y": 1}'), 400, "'x' must be"),
    "probe y Infinity": (
        _raw("POST", "api/probe", b'{"x": 0, "y": Infinity}'),
        400,
        "Infinity is not",
    ),
    "probe y -Infinity": (
        _raw("POST", "api/probe", b'{"x": 0, "y": -Infinity}'),
        400,
        "-Infinity is not",
    ),
    "probe y overflows": (_raw("POST", "api/probe", b'{"x": 0, "y": 1e400}'), 400, "finite"),
    "probe label 3": (
        _raw("POST", "api/probe", b'{"x": 0, "y": 0, "label": 3}'),
        400,
        "0 to 2, got 3",
    ),
    "probe label -1": (_raw("POST", "api/probe", b'{"x": 0, "y": 0, "label": -1}'), 400, "got -1"),
    "probe label 1.0": (_raw("POST", "api/probe", b'{"x": 0, "y": 0, "label": 1.0}'), 400, "1.0"),
    "unknown path": (_raw("GET", "api/nothing", b""), 404, "no such path '/api/nothing'"),
    "unknown POST path": (_raw("POST", "api/train", b"{}"), 404, "no such path"),
    "GET a POST path": (_raw("GET", "api/step", b""), 405, "/api/step takes POST, not GET"),
    "POST a GET path": (_raw("POST", "api/state", b"{}"), 405, "takes GET"),
    "PUT": (_raw("PUT", "api/step", b"{}"), 405, "not PUT"),
    "DELETE": (_raw("DELETE", "api/state", b""), 405, "not DELETE"),
    "a form post": (
        _raw("POST", "api/step", b"steps=3", **{"Content-Type": "text/plain"}),
        415,
        "Content-Type 'application/json'",
    ),
    "another site's page": (
        _raw("POST", "api/step", b"{}", Origin="http://evil.example"),
        403,
        "origin 'http://evil.example'",
    ),
    "a rebound DNS name": (
        _raw("GET", "api/state", b"", Host="evil.example"),
        403,
        "refused Host header 'evil.example'",
    ),
    "a rebound name with our port": (
        _raw("GET", "api/state", b"", Host="evil.example:{port}"),
        403,
        "refused Host header",
    ),
    "a body too large": (_raw("POST", "api/step", b" " * 70_000), 413, "Content-Length"),
}


@pytest.mark.parametrize("case", BAD_REQUESTS.values(), ids=list(BAD_REQUESTS))
def test_bad_requests_get_a_4xx_json_error_and_change_nothing(
    live: Live, case: tuple[dict[str, Any], int, str]
) -> None:
    request, status, fragment = case
    live.request("POST", "api/reset")
    live.request("POST", "api/step", {"steps": 2})
    before = live.state()
    headers = {k: v.format(port=live.port) for k, v in request["headers"].items()}
    got, answer = live.request(
        request["method"], request["path"], data=request["data"] or None, headers=headers
    )
    assert got == status
    assert set(answer) == {"error"}
    assert fragment in answer["error"]
    assert answer["error"][0].islower() or answer["error"][0] in "'/"
    after = live.state()
    for key in ("step", "losses", "probe", "parameters", "graph", "lr"):
        assert after[key] == before[key], key


def test_localhost_is_the_served_address_too(live: Live) -> None:
    status, _ = live.request("GET", "api/state", headers={"Host": f"localhost:{live.port}"})
    assert status == 200
    status, _ = live.request("GET", "api/state", headers={"Host": "localhost:1"})
    assert status == 403


def test_concurrent_steps_are_serialised(live: Live) -> None:
    live.request("POST", "api/reset")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(3):
                status, state = live.request("POST", "api/step", {"steps": 2})
                assert status == 200
                assert state["step"] == len(state["losses"])
                live.state()
        except BaseException as e:  # noqa: BLE001  (reported by the main thread)
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    state = live.state()
    assert state["step"] == 24
    assert [loss["step"] for loss in state["losses"]] == list(range(1, 25))
    # steps that overlapped would have mixed their gradients: one at a time gives these
    live.request("POST", "api/reset")
    alone = live.request("POST", "api/step", {"steps": 24})[1]
    assert state["losses"] == alone["losses"]
    assert state["parameters"] == alone["parameters"]


def test_ctrl_c_stops_it_cleanly() -> None:
    server = start("--task", "moons")
    assert server.state()["config"]["classes"] == 2
    code, out, err = server.stop()
    assert (code, out, err) == (0, "", "")


def test_serving_beyond_loopback_warns_and_still_checks_names() -> None:
    server = start("--host", "0.0.0.0")
    try:
        assert server.line == f"serving at http://0.0.0.0:{server.port}/\n"
        url_host = {"Host": f"127.0.0.1:{server.port}"}
        assert server.request("GET", "api/state", headers=url_host)[0] == 200
        name = {"Host": f"evil.example:{server.port}"}
        assert server.request("GET", "api/state", headers=name)[0] == 403
    finally:
        _, _, err = server.stop()
    assert err.startswith("warning: serving on 0.0.0.0, not loopback")


def test_nodes_name_the_plugin_of_their_op(activations_site: Path) -> None:
    server = start("--activation", "sigmoid", site=activations_site)
    try:
        nodes = server.state()["graph"]["nodes"]
    finally:
        server.stop()
    plugins = {n["op"]: n["plugin"] for n in nodes if n["op"]}
    assert plugins["sigmoid"] == "activations"
    assert plugins["affine"] == "builtin"


def test_an_unknown_activation_is_refused_before_serving() -> None:
    result = subprocess.run(
        [str(MICROGRAD), "live", "--activation", "tahn", "--port", "0"],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "unknown activation 'tahn'" in result.stderr
    assert "tanh" in result.stderr


@pytest.mark.parametrize(
    ("hidden", "parameters"), [("2000", "12,003"), ("9" * 19, "59,999,999,999,999,999,997")]
)
def test_a_model_too_large_is_refused_before_serving(hidden: str, parameters: str) -> None:
    result = subprocess.run(
        [str(MICROGRAD), "live", "--hidden", hidden, "--port", "0"],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert f"gives a model of {parameters}" in " ".join(result.stderr.split())


def test_export_writes_one_page_with_the_recorded_run(tmp_path: Path) -> None:
    path = tmp_path / "run.html"
    result = subprocess.run(
        [str(MICROGRAD), "live", "--export", str(path), "--steps", "4"],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote {path}: 4 steps of yinyang to replay\n"
    page = path.read_text()
    assert 'src="' not in page
    assert 'href="live.css"' not in page
    start_tag = '<script id="recorded-run" type="application/json">'
    data = page.split(start_tag, 1)[1].split("</script>", 1)[0]
    recording = json.loads(data)
    assert [frame["step"] for frame in recording["frames"]] == [0, 1, 2, 3, 4]
    assert [loss["step"] for loss in recording["run"]["losses"]] == [1, 2, 3, 4]
    assert recording["run"]["losses"][0]["train"] == pytest.approx(LLM101N_FIRST_LOSS, rel=1e-10)
