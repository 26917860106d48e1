"""A paper's tables beside an evaluation (paper_report), on a hand-made paper whose two
tables use every kind of row (a preset, a decoder with its temperature, a decoder read from
the decoder comparison, the gray images) and every condition, against the whole Markdown
written out by hand."""

from __future__ import annotations

import math

import pytest

from colorization_tf.evaluation import paper_report, papers

CITATION = papers.Citation(authors=("Ann One", "Bo Two"), title="A Title", venue="A Venue",
                           year=2020, short="One and Two 2020")
TABLE_A = papers.PaperTable(
    id="a", title="Table A", where="§1, Table 1", citation=CITATION,
    conditions=papers.Conditions(dataset="cifar10", dataset_label="CIFAR-10 (32x32)",
                                 image_size=32, epochs=None),
    columns=(papers.Column("mae_test", "MAE test", "ab", "lower"),
             papers.Column("turing_accuracy", "Turing", "percent", "lower")),
    rows=(papers.Row("U", papers.Match(preset="unet_l1"),
                     {"mae_test": 0.0677, "turing_accuracy": 0.603}, epochs=100),
          papers.Row("U2", papers.Match(preset="unet_l1"), {"mae_test": 0.0691}),
          papers.Row("Missing", papers.Match(preset="wgan_gp"), {"mae_test": 0.05})))
TABLE_B = papers.PaperTable(
    id="b", title="Table B", where="§2", citation=CITATION,
    conditions=papers.Conditions(dataset="cifar10", dataset_label="CIFAR-10", image_size=32,
                                 epochs=20, evaluated_on="the test split",
                                 notes=("First note.", "Second note.")),
    columns=(papers.Column("psnr", "PSNR", "dB", "higher"),
             papers.Column("reference_accuracy", "Acc.", "percent", "higher"),
             papers.Column("inception_score", "IS", "score", "higher")),
    rows=(papers.Row("Annealed", papers.Match(preset="classification", decode="annealed",
                                              temperature=0.38),
                     {"psnr": 25.0, "reference_accuracy": 0.65, "inception_score": 5.0},
                     image_size=64),
          papers.Row("Mode", papers.Match(preset="classification", decode="mode"),
                     {"psnr": 23.0}),
          papers.Row("Gray", papers.Match(images="gray"), {"reference_accuracy": 0.22})))
PAPER = papers.Paper(name="fake", citation=CITATION, dataset="cifar10",
                     tables=(TABLE_A, TABLE_B))


@pytest.fixture(autouse=True)
def fake_paper(monkeypatch):
    real = papers.get
    monkeypatch.setattr(papers, "get", lambda name: PAPER if name == "fake" else real(name))


def _results() -> dict:
    return {
        "dataset": "cifar10", "split": "test", "max_examples": 16,
        "runs": [
            {"name": "u", "preset": "unet_l1", "mae": {"test": 0.07},
             "mae_ci": {"test": [0.06, 0.08]},
             "conditions": {"train_dataset": "cifar10", "image_size": 32,
                            "epochs_trained": 100, "max_examples": None}},
            {"name": "cls", "preset": "classification", "decode": "annealed",
             "temperature": 0.38 * (1 + 1e-9),  # as stored: within float rounding
             "metrics": {"psnr": 24.0, "psnr_rgb": None, "ci": {"psnr": [23.0, 25.0]}},
             "distribution": {"reference": {"accuracy": 0.6, "accuracy_ci": [0.5, 0.7]},
                              "inception": {"inception_score": 3.14159}},
             "decoders": [{"decode": "mode", "temperature": None, "psnr": 23.5,
                           "ci": {"psnr": [23.0, 24.0]}}],
             "conditions": {"train_dataset": "samples", "image_size": 32,
                            "epochs_trained": 5, "max_examples": 24}},
            {"name": "extra", "preset": "other"}],
        "turing": {"u": {"shown": 40, "accuracy": 0.55, "fooled_rate": 0.45, "ci_low": 0.4,
                         "ci_high": 0.7}},
        "distribution": {"reference": {"rows": {
            "Grayscale": {"accuracy": 0.3, "accuracy_ci": [0.25, 0.35]}}}}}


def _header(*labels: str) -> list[str]:
    cells = ["Paper row", "Run"]
    for label in labels:
        cells += [label, "95% CI", "paper", "difference", "paper in our CI"]
    return ["| " + " | ".join(cells) + " |", "|" + "---|" * len(cells)]


def test_the_whole_comparison_as_written():
    text = paper_report.markdown(_results(), "fake")
    assert text.split("\n") == [
        "## Against the paper: One and Two 2020", "",
        'Ann One and Bo Two. "A Title". A Venue, 2020.', "",
        "Each measured figure stands beside its 95% interval (bootstrap over the images; "
        "Turing test: Wilson), the paper's value, the difference (measured - paper; pp = "
        "percentage points) and whether the paper's value lies inside our interval ('yes': "
        "this evaluation cannot tell the two apart); '-' where this evaluation did not "
        "measure it or has no interval for it.", "",
        "### One and Two 2020, Table A", "",
        *_header("MAE test", "Turing"),
        "| U | `u` | 0.0700 | [0.0600, 0.0800] | 0.0677 | +0.0023 | yes "
        "| 55.00% | [40.00%, 70.00%] | 60.30% | -5.30 pp | yes |",
        "| U2 | `u` | 0.0700 | [0.0600, 0.0800] | 0.0691 | +0.0009 | yes "
        "| 55.00% | [40.00%, 70.00%] | - | - | - |",
        "| Missing | - | - | - | 0.0500 | - | - | - | - | - | - | - |", "",
        "The paper's conditions (§1, Table 1):", "",
        "- Dataset: CIFAR-10 (32x32)", "- Resolution: 32 px", "- Epochs: not stated (U: 100)",
        "",
        "**Conditions differ from the paper's**, so the differences above are not a "
        "like-for-like comparison:", "",
        "- Epochs: U2 (u) trained 100 epoch(s); the paper does not state its epochs.",
        "- Images: scored on at most 16 images per split here, where the paper used whole "
        "splits.", "",
        "Runs this table does not report: `cls`, `extra`.", "",
        "### One and Two 2020, Table B", "",
        *_header("PSNR", "Acc.", "IS"),
        "| Annealed | `cls` | 24.00 | [23.00, 25.00] | 25.00 | -1.00 | yes "
        "| 60.00% | [50.00%, 70.00%] | 65.00% | -5.00 pp | yes | 3.14 | - | 5.00 | -1.86 | - |",
        "| Mode | `cls` | 23.50 | [23.00, 24.00] | 23.00 | +0.50 | yes "
        "| - | - | - | - | - | - | - | - | - | - |",
        "| Gray | `Grayscale` | - | - | - | - | - "
        "| 30.00% | [25.00%, 35.00%] | 22.00% | +8.00 pp | no | - | - | - | - | - |", "",
        "The paper's conditions (§2):", "",
        "- Dataset: CIFAR-10", "- Resolution: 32 px (Annealed: 64 px)", "- Epochs: 20",
        "- Evaluated on: the test split", "- First note.", "- Second note.", "",
        "**Conditions differ from the paper's**, so the differences above are not a "
        "like-for-like comparison:", "",
        "- Dataset: the paper used cifar10; these runs were trained on samples and evaluated "
        "on cifar10.",
        "- Resolution: Annealed (cls) ran at 32 px, the paper at 64 px.",
        "- Epochs: Annealed (cls) trained 5 epoch(s), the paper 20.",
        "- Images: trained on at most 24 and scored on at most 16 images per split here, "
        "where the paper used whole splits.", "",
        "Runs this table does not report: `u`, `extra`."]


def test_matching_conditions_are_said_and_every_run_reported():
    results = _results()
    results["max_examples"] = None
    results["runs"] = results["runs"][:1]
    assert paper_report.compare_table(results, TABLE_A)["differences"] == [
        "Epochs: U2 (u) trained 100 epoch(s); the paper does not state its epochs."]
    results["runs"][0]["conditions"]["epochs_trained"] = None  # not recorded: not compared
    assert paper_report.condition_differences(results, TABLE_A) == []
    one_table = paper_report.markdown(results, "fake").split("### One and Two 2020, Table B")[0]
    assert one_table.endswith("\n\nThis evaluation's conditions match the paper's (dataset, "
                              "resolution, epochs, images).\n\n")
    assert "Runs this table does not report" not in one_table


def test_compare_stores_each_figure_with_its_interval_and_verdict():
    compared = paper_report.compare(_results(), "fake")
    assert (compared["paper"], compared["citation"]) == ("fake", CITATION.text())
    first, second = compared["tables"]
    assert (first["id"], first["title"], first["where"]) == ("a", "Table A", "§1, Table 1")
    assert (second["id"], second["title"], second["where"]) == ("b", "Table B", "§2")
    mode = second["rows"][1]
    assert mode["label"] == "Mode" and mode["run"] == "cls"
    # the paper's 23.0 is the interval's lower end: inside
    assert mode["values"]["psnr"] == {"measured": 23.5, "paper": 23.0, "difference": 0.5,
                                      "interval": [23.0, 24.0], "paper_inside": True}
    upper = _results()
    upper["runs"][1]["decoders"][0]["ci"]["psnr"] = [22.0, 23.0]  # ... and its upper end
    assert paper_report.compare(upper, "fake")["tables"][1]["rows"][1]["values"]["psnr"][
        "paper_inside"] is True
    missing = first["rows"][2]
    assert missing["run"] is None and missing["values"]["mae_test"] == {
        "measured": None, "paper": 0.05, "difference": None, "interval": None,
        "paper_inside": None}


@pytest.mark.parametrize("stored, matches", [
    (0.38, True), (0.38 * (1 + 1e-7), True), (0.38 * (1 + 1e-5), False), (0.89, False),
    (None, True)])
def test_an_annealed_row_matches_a_run_of_its_temperature(stored, matches):
    match = papers.Match(preset="classification", decode="annealed", temperature=0.38)
    entry = {"name": "cls", "preset": "classification", "decode": "annealed",
             "temperature": stored}
    assert (paper_report.matching_entry({"runs": [entry]}, match) is entry) is matches
    decoders = {"runs": [{"name": "cls", "preset": "classification", "decode": "mode",
                          "decoders": [{"decode": "annealed", "temperature": stored,
                                        "psnr": 20.0}]}]}
    value, name = paper_report.measured(decoders, papers.Row("A", match, {}), "psnr")
    assert (value, name) == ((20.0, "cls") if matches else (None, None))


def test_rows_without_a_decoder_take_the_first_run_of_the_preset_and_others_need_theirs():
    first = {"name": "first", "preset": "p", "decode": "mode"}
    second = {"name": "second", "preset": "p", "decode": "topk"}
    results = {"runs": [first, second]}
    assert paper_report.matching_entry(results, papers.Match(preset="p")) is first
    assert paper_report.matching_entry(results, papers.Match(preset="p", decode="topk")) \
        is second
    assert paper_report.matching_entry({}, papers.Match(preset="p")) is None
    any_temperature = papers.Match(preset="p", decode="mode", temperature=0.5)
    assert paper_report.matching_entry(results, any_temperature) is first  # not annealed
    assert paper_report.measured({}, papers.Row("r", any_temperature, {}), "psnr") == \
        (None, None)


@pytest.mark.parametrize("entry, key, value", [
    ({"name": "r", "preset": "p"}, "mae_test", None),
    ({"name": "r", "preset": "p"}, "psnr", None),
    ({"name": "r", "preset": "p", "metrics": {"psnr": 20.0, "psnr_rgb": 22.0}}, "psnr", 22.0),
    ({"name": "r", "preset": "p", "metrics": {"psnr": 20.0, "psnr_rgb": None}}, "psnr", 20.0),
    ({"name": "r", "preset": "p", "metrics": {"psnr": math.inf}}, "psnr", None),
    ({"name": "r", "preset": "p", "mae": {"test": 0.1}}, "ssim", None)])
def test_a_runs_figure_is_read_where_it_is_stored(entry, key, value):
    row = papers.Row("R", papers.Match(preset="p"), {})
    assert paper_report.measured({"runs": [entry]}, row, key) == (
        value, "r" if entry else None)


def test_the_psnr_interval_follows_the_figure_and_a_turing_test_needs_judgements():
    row = papers.Row("R", papers.Match(preset="p"), {})
    entry = {"name": "r", "preset": "p", "metrics": {
        "psnr": 20.0, "psnr_rgb": 22.0, "ci": {"psnr": [19.0, 21.0], "psnr_rgb": [21.0, 23.0]}}}
    assert paper_report.measured_interval({"runs": [entry]}, row, "psnr") == [21.0, 23.0]
    entry["metrics"]["psnr_rgb"] = None
    assert paper_report.measured_interval({"runs": [entry]}, row, "psnr") == [19.0, 21.0]
    assert paper_report.measured_interval({"runs": [{"name": "r", "preset": "p"}]}, row,
                                          "psnr") is None
    unseen = {"runs": [entry], "turing": {"r": {"shown": 0, "accuracy": 0.5, "ci_low": 0.1,
                                                "ci_high": 0.9}}}
    assert paper_report.measured(unseen, row, "turing_accuracy") == (None, "r")
    assert paper_report.measured_interval(unseen, row, "turing_accuracy") is None
    plain = papers.Row("M", papers.Match(preset="p", decode="mode"), {})
    assert paper_report.measured_interval({"runs": [entry]}, plain, "mae_test") is None
    nothing = {"runs": [{"name": "r", "preset": "p", "decode": "topk"}]}
    assert paper_report.measured_interval(nothing, plain, "psnr") is None


@pytest.mark.parametrize("ci, bounds", [
    ([1, 2], [1.0, 2.0]), ([1.0, 2.0, 3.0], None), ([1.0], None), ([math.nan, 2.0], None),
    ([1.0, None], None), (None, None), ([], None)])
def test_only_an_interval_of_two_finite_ends_is_kept(ci, bounds):
    entry = {"name": "r", "preset": "p", "mae": {"test": 0.1}, "mae_ci": {"test": ci}}
    row = papers.Row("R", papers.Match(preset="p"), {})
    assert paper_report.measured_interval({"runs": [entry]}, row, "mae_test") == bounds


def test_image_rows_without_a_figure_name_no_source():
    row = papers.Row("Gray", papers.Match(images="gray"), {})
    assert paper_report.measured({}, row, "reference_accuracy") == (None, None)
    assert paper_report.measured_interval({}, row, "reference_accuracy") is None
    assert paper_report.measured({}, row, "psnr") == (None, None)


@pytest.mark.parametrize("value, unit, signed, text", [
    (None, "ab", False, "-"), (0.12345, "ab", False, "0.1235"), (0.5, "ab", True, "+0.5000"),
    (30.444, "dB", False, "30.44"), (12.1235, "score", True, "+12.12"),
    (0.603, "percent", False, "60.30%"), (-0.053, "percent", True, "-5.30 pp"),
    (1.23456, "unknown", False, "1.2346")])
def test_cells_are_formatted_by_unit(value, unit, signed, text):
    assert paper_report.fmt(value, unit, signed) == text


def test_the_inside_cell():
    assert [paper_report.inside_text(v) for v in (None, True, False)] == ["-", "yes", "no"]


def test_a_decoder_rows_interval_is_its_psnr_only():
    mode = TABLE_B.rows[1]
    assert paper_report.measured_interval(_results(), mode, "psnr") == [23.0, 24.0]
    assert paper_report.measured_interval(_results(), mode, "reference_accuracy") is None


def test_no_interval_is_stored_for_a_figure_that_is_not_finite():
    results = _results()
    results["runs"][0]["mae"]["test"] = math.inf  # its interval alone means nothing
    values = paper_report.compare_table(results, TABLE_A)["rows"][0]["values"]["mae_test"]
    assert values["measured"] is None and values["interval"] is None
    assert values["paper_inside"] is None


def test_several_datasets_image_limits_and_overrides_are_each_listed(monkeypatch):
    results = _results()
    results["max_examples"] = None
    results["runs"][0]["conditions"].update(train_dataset="stl10", max_examples=48)
    table = papers.PaperTable(
        id="c", title="C", where="§3", citation=CITATION, conditions=TABLE_B.conditions,
        columns=TABLE_A.columns[:1],
        rows=(papers.Row("U", papers.Match(preset="unet_l1"), {"mae_test": 0.1}, image_size=64,
                         epochs=7),
              papers.Row("C", papers.Match(preset="classification"), {"mae_test": 0.1},
                         image_size=96, epochs=9)))
    assert paper_report.condition_differences(results, table) == [
        "Dataset: the paper used cifar10; these runs were trained on samples, stl10 and "
        "evaluated on cifar10.",
        "Resolution: U (u) ran at 32 px, the paper at 64 px.",
        "Epochs: U (u) trained 100 epoch(s), the paper 7.",
        "Resolution: C (cls) ran at 32 px, the paper at 96 px.",
        "Epochs: C (cls) trained 5 epoch(s), the paper 9.",
        "Images: trained on at most 24, 48 images per split here, where the paper used whole "
        "splits."]
    with_table = papers.Paper("fake", CITATION, "cifar10", (table,))
    monkeypatch.setattr(papers, "get", lambda name: with_table)
    text = paper_report.markdown(results, "fake")
    assert "\n- Resolution: 32 px (U: 64 px; C: 96 px)\n- Epochs: 20 (U: 7; C: 9)\n" in text


def test_an_evaluation_without_runs_differs_in_its_dataset_alone():
    results = {"dataset": "samples"}
    assert paper_report.condition_differences(results, TABLE_A) == [
        "Dataset: the paper used cifar10; these runs were trained on - and evaluated on "
        "samples."]
    text = paper_report.markdown(results, "fake")
    assert "Runs this table does not report" not in text
    assert "| Missing | - | - | - | 0.0500 | - | - |" in text
