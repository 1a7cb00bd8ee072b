"""A model's page in the gallery, in a real browser (Chromium through Playwright): an adder's result as a
number read from the model's own output bits (static/js/numbers.js), and a logic model shown as the circuit
it is, drawn from the netlist the catalog checked, from `gatenet serve` and from `gatenet site` alike."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from click.testing import CliRunner
from folder_tools import copy_models, gatenet
from web_tools import GuardedPage, gallery_server, static_server

from gatenet import contract, runtime
from gatenet.cli import cli
from gatenet.manifest import sha256
from gatenet.web.catalog import Catalog

NUMBER_LINE = "article.model .adder-line"


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> Path:
    """Two adders and two models that are not: a circuit (MUX4) and a trained gate (PARITY3)."""
    gates = ["ADD4", "HALF_ADDER", "MUX4", "PARITY3"]
    return copy_models(tmp_path_factory.mktemp("shipped") / "models", gates)


@pytest.fixture(scope="module")
def logic(tmp_path_factory) -> Path:
    """Logic models of XOR (one gate, not an adder) and FULL_ADDER (an adder), trained by the CLI."""
    root = tmp_path_factory.mktemp("logic")
    args = ["XOR", "FULL_ADDER", "--kind", "logic", "--logic-restarts", "4", "--logic-steps", "200"]
    result = gatenet("train", *args, "--out", str(root / "models"), cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "models"


@pytest.fixture
def guarded(browser):
    """Pages of any origin; each must log no error and send no request away from its origin."""
    pages: list[GuardedPage] = []
    yield lambda url: pages.append(GuardedPage(browser, url)) or pages[-1].page
    for page in pages:
        errors, foreign = list(page.errors), list(page.foreign)
        page.close()
        assert errors == [] and foreign == []


def open_model(page, url: str, key: str) -> None:
    page.goto(f"{url}/#{key}")
    page.wait_for_selector(f'article.model[data-key="{key}"] .outputs[data-row="0"]')


def click_to(page, key: str, now: list[int], wanted: list[int]) -> None:
    """Click the input bits that differ, then wait for the page to show that row's outputs."""
    for i in [i for i, (a, b) in enumerate(zip(now, wanted, strict=True)) if a != b]:
        page.click(f'button.bit[data-input="{i}"]')
    row = int("".join(map(str, wanted)), 2)
    page.wait_for_selector(f'article.model[data-key="{key}"] .outputs[data-row="{row}"]')
    now[:] = wanted


def model_result(model: runtime.GateModel, bits: list[int], carry: int, width: int) -> int:
    """The adder's result as Python's onnxruntime gives it: the carry output's bit above the sum's bits."""
    made = [int(bit) for bit in model.predict([bits])[0]]
    sum_bits = [bit for o, bit in enumerate(made) if o != carry]
    return made[carry] * 2**width + int("".join(map(str, sum_bits)), 2)


def bits_of(value: int, width: int) -> list[int]:
    return [(value >> (width - 1 - i)) & 1 for i in range(width)]


def test_add4_s_page_shows_the_sum_its_output_bits_make(guarded, shipped):
    model = runtime.load_gate("ADD4", shipped)
    with gallery_server(shipped) as url:
        page = guarded(url)
        open_model(page, url, "add4")
        assert page.inner_text(NUMBER_LINE) == "a + b + carry_in = 0 + 0 + 0 = 0"
        bits = [0] * 9
        for a, b, carry_in in [(5, 9, 1), (15, 15, 1), (7, 8, 0), (12, 3, 1)]:
            wanted = [*bits_of(a, 4), *bits_of(b, 4), carry_in]
            click_to(page, "add4", bits, wanted)
            total = model_result(model, wanted, carry=0, width=4)
            assert total == a + b + carry_in
            assert page.inner_text(NUMBER_LINE) == f"a + b + carry_in = {a} + {b} + {carry_in} = {total}"
            assert page.get_attribute(NUMBER_LINE, "data-result") == str(total)

        open_model(page, url, "half_adder")
        click_to(page, "half_adder", [0, 0], [1, 1])
        assert page.inner_text(NUMBER_LINE) == "a + b = 1 + 1 = 2"


def test_the_rule_reads_adders_by_their_bit_names_and_nothing_else(guarded, shipped):
    manifest = json.loads((Path(__file__).parents[1] / "exported" / "manifest.json").read_text())["models"]
    names = {entry["gate"]: [entry["inputs"], entry["outputs"]] for entry in manifest.values()}
    with gallery_server(shipped) as url:
        page = guarded(url)
        for key in ("mux4", "parity3"):  # through the page: no number line
            open_model(page, url, key)
            assert page.query_selector(NUMBER_LINE) is None
        rule = """async ([named, bits, made]) => {
            const { adderOf, adderLine } = await import('./js/numbers.js');
            const found = Object.fromEntries(
                Object.entries(named).map(([gate, [i, o]]) => [gate, adderOf(i, o) !== null]));
            const add4 = adderOf(named.ADD4[0], named.ADD4[1]);
            return [found, adderLine(add4, bits, made)];
        }"""
        odd = {
            "GAP": [["a2", "a0", "b2", "b0"], ["sum1", "sum0", "carry"]],
            "NO_CARRY": [["a1", "a0", "b1", "b0"], ["sum1", "sum0"]],
            "NARROW_SUM": [["a1", "a0", "b1", "b0"], ["sum0", "carry"]],
            "THREE_WORDS": [["a", "b", "c"], ["sum", "carry"]],
            "TWO_CARRIES": [["a", "b"], ["sum", "carry", "carry_out"]],
            "MIXED": [["a", "a0", "b", "b0"], ["sum", "carry"]],
            "NAMED_OTHERWISE": [["x1", "x0", "y1", "y0", "carry_in"], ["carry", "sum1", "sum0"]],
        }
        wide = [f"{i}" for i in range(53)]  # 53 bits a word: more than a JavaScript number holds exactly
        odd["TOO_WIDE"] = [[f"{w}{i}" for w in "ab" for i in wide], [*(f"sum{i}" for i in wide), "carry"]]
        # 5 + 9 + 1, with output bits that say 14: the line shows what the model's bits say
        found, line = page.evaluate(rule, [names | odd, [0, 1, 0, 1, 1, 0, 0, 1, 1], [0, 1, 1, 1, 0]])
    adders = {"HALF_ADDER", "FULL_ADDER", "ADD4", "ADD8", "NAMED_OTHERWISE"}
    adders |= {"HALF_ADDER_WIRED", "FULL_ADDER_WIRED"}
    assert {gate for gate, is_adder in found.items() if is_adder} == adders
    assert {"MUX4", "PARITY3", "XOR", "MAJORITY3"} <= set(found)
    assert line == {"values": [5, 9, 1], "result": 14, "text": "a + b + carry_in = 5 + 9 + 1 = 14"}


def netlist_of_file(path: Path) -> dict:
    metadata = {prop.key: prop.value for prop in onnx.load(path).metadata_props}
    return json.loads(metadata[contract.KEY_NETLIST])


def check_logic_page(page, url: str, logic: Path) -> None:
    """FULL_ADDER's and XOR's pages: the facts of a circuit, the circuit drawn, and the adder's numbers."""
    entries = json.loads((logic / "manifest.json").read_text())["models"]
    for key in ("full_adder", "xor"):
        entry, netlist = entries[f"{key}.onnx"], netlist_of_file(logic / f"{key}.onnx")
        open_model(page, url, key)
        facts = page.inner_text("article.model .facts")
        gates, depth, rung = entry["logic"]["gates"], entry["logic"]["depth"], entry["logic"]["rung"]
        assert f"learned circuit: {gates} two-input gates, {depth} deep" in facts
        network = entry["network"]
        assert f"the logic learner: {network['depth']} layers of {network['width']} two-input nodes" in facts
        assert f"{network['restarts']} restarts" in facts and f"rung {rung} of its ladder" in facts
        assert "→" not in facts and "undefined" not in facts  # no neural network's layers
        svg = page.wait_for_selector("article.model .logic-circuit svg.circuit")
        assert svg.get_attribute("data-gates") == str(gates) == str(len(netlist["nodes"]))
        drawn = page.eval_on_selector_all("svg.circuit .circuit-gate", "gs => gs.map(g => g.dataset.gate)")
        assert drawn == [node["op"] for node in netlist["nodes"]]
        outputs = page.eval_on_selector_all("svg.circuit .circuit-output", "os => os.map(o => o.textContent)")
        assert outputs == entry["outputs"]
    assert page.query_selector(NUMBER_LINE) is None  # XOR's `out` is no sum
    open_model(page, url, "full_adder")
    bits = [0, 0, 0]
    for row in range(8):
        wanted = bits_of(row, 3)
        click_to(page, "full_adder", bits, wanted)
        terms = " + ".join(map(str, wanted))
        assert page.inner_text(NUMBER_LINE) == f"a + b + carry_in = {terms} = {sum(wanted)}"


def test_a_logic_model_s_page_shows_its_circuit(guarded, logic):
    with gallery_server(logic) as url:
        check_logic_page(guarded(url), url, logic)


def test_the_static_site_shows_a_logic_model_s_circuit_too(guarded, logic, tmp_path):
    result = CliRunner().invoke(cli, ["site", "--dir", str(logic), "--out", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    with static_server(tmp_path / "site") as url:
        check_logic_page(guarded(url), url, logic)


def test_a_circuit_that_is_not_the_model_s_truth_table_is_not_sent(logic, tmp_path):
    """The manifest vouches for the file's bytes, not for its netlist: the catalog checks it on every row."""
    folder = Path(shutil.copytree(logic, tmp_path / "models"))
    model = onnx.load(folder / "xor.onnx")
    for prop in model.metadata_props:
        if prop.key == contract.KEY_NETLIST:
            netlist = json.loads(prop.value)
            netlist["nodes"][0]["op"] = "AND"
            prop.value = json.dumps(netlist)
    data = model.SerializeToString()
    (folder / "xor.onnx").write_bytes(data)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["models"]["xor.onnx"]["sha256"] = sha256(data)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    catalog = Catalog.read(folder)
    details = catalog.details("xor")
    assert details["netlist"] is None
    assert "xor.onnx" in details["netlist_problem"] and "not its truth table" in details["netlist_problem"]
    assert np.array_equal(catalog.model("xor").predict([[1, 1]]), [[0]])  # the model itself still runs
    assert catalog.details("full_adder")["netlist"] == netlist_of_file(folder / "full_adder.onnx")
    assert "netlist" not in Catalog.read(copy_models(tmp_path / "mux4", ["MUX4"])).details("mux4")
