"""The papers' published tables: the data file parses, every value is cited and equals the
printed figure, malformed data is refused by name, and the report puts paper and measured
values side by side with the right differences on a hand-made evaluation."""

from __future__ import annotations

import copy
import json
import os

import pytest

from colorization_tf import presets
from colorization_tf.evaluation import paper_report, papers, report
from colorization_tf.reproduction import plans

# The figures as printed (Galvão et al. 2019 Table 1; Li and Wang 2018 Figure 7; Tran Nhat
# and Ly Nguyen Thuy 2024 'Experiment Result'), typed again here to check the data file.
PRINTED = {
    ("galvao", "UNET"): {"mae_train": 0.0239, "mae_val": 0.0691, "mae_test": 0.0677,
                         "turing_accuracy": 0.6030},
    ("galvao", "GAN"): {"mae_train": 0.0288, "mae_val": 0.0672, "mae_test": 0.0675,
                        "turing_accuracy": 0.4743},
    ("galvao", "VAC + GAN"): {"mae_train": 0.0371, "mae_val": 0.0666, "mae_test": 0.0668,
                              "turing_accuracy": 0.4026},
    ("li_wang", "Grayscale"): {"reference_accuracy": 0.22},
    ("li_wang", "Regression"): {"reference_accuracy": 0.46},
    ("li_wang", "Classification"): {"reference_accuracy": 0.57},
    ("li_wang", "Annealed"): {"reference_accuracy": 0.65},
    ("li_wang", "Transfer Learning"): {"reference_accuracy": 0.63},
    ("li_wang", "Ground Truth"): {"reference_accuracy": 0.80},
    ("tran", "Reconstruction"): {"psnr": 30.44, "inception_score": 12.1235},
    ("tran", "Classification (centroid)"): {"psnr": 25.2813, "inception_score": 18.6873},
    ("tran", "Classification (softmax - assigned)"): {"psnr": 25.4372,
                                                      "inception_score": 18.7483},
    ("tran", "GAN"): {"psnr": 23.2057, "inception_score": 17.1104},
}


def test_data_file_parses_and_every_value_is_cited():
    loaded = papers.load()
    assert sorted(loaded) == ["galvao", "li_wang", "tran"]
    found = {}
    for paper in loaded.values():
        for table in paper.tables:
            cite = table.citation
            assert cite.authors and cite.title and cite.venue and 2000 < cite.year < 2030
            assert table.where and table.conditions.dataset and table.conditions.dataset_label
            assert "seed" not in json.dumps(cite.__dict__).lower()  # cited, not pointed at
            columns = {c.key for c in table.columns}
            for row in table.rows:
                assert set(row.values) <= columns and row.values
                found[(paper.name, row.label)] = row.values
                if row.match.preset:
                    presets.get(row.match.preset)  # every row compares with a real preset
    assert found == PRINTED
    assert loaded["galvao"].citation.authors[0] == "Duarte Galvão"
    assert loaded["galvao"].tables[0].conditions.epochs == 200
    assert loaded["li_wang"].tables[0].row_epochs(loaded["li_wang"].tables[0].rows[4]) == 50


def test_every_paper_has_a_plan_and_a_notebook():
    notebooks = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
                             "notebooks")
    assert sorted(plans.PLANS) == papers.names()
    for name, plan in plans.PLANS.items():
        assert os.path.isfile(os.path.join(notebooks, f"reproduce_{name}.ipynb"))
        for method in plan.methods:
            presets.get(method.preset)
        compared = {row.match.preset for t in papers.get(name).tables for row in t.rows}
        assert compared - {None} <= {m.preset for m in plan.methods}


def test_the_data_file_ships_with_the_package():
    setup_cfg = open(os.path.join(os.path.dirname(papers.__file__), "..", "..",
                                  "setup.cfg")).read()
    assert "colorization_tf.evaluation = paper_results.json" in setup_cfg


def _raw():
    with open(papers.DATA_FILE, encoding="utf-8") as handle:
        return json.load(handle)


@pytest.mark.parametrize("corrupt, message", [
    (lambda d: d["papers"]["galvao"]["citation"].pop("year"), "galvao.*'year'"),
    (lambda d: d["papers"]["tran"]["tables"][0]["rows"][0]["values"].update(psnr="30"),
     "Reconstruction.*psnr"),
    (lambda d: d["papers"]["galvao"]["tables"][0]["rows"][0]["values"].update(
        turing_accuracy=60.3), "UNET.*fraction"),
    (lambda d: d["papers"]["li_wang"]["tables"][0]["rows"][0]["values"].update(ssim=0.5),
     "Grayscale.*'ssim' has no column"),
    (lambda d: d["papers"]["li_wang"]["tables"][0]["rows"][0].update(match={}),
     "Grayscale.*preset or images"),
])
def test_malformed_data_is_refused_naming_the_place(corrupt, message):
    data = copy.deepcopy(_raw())
    corrupt(data)
    with pytest.raises(papers.PaperDataError, match=message):
        papers.parse(data)


def test_unknown_paper_names_the_flag_and_the_choices():
    with pytest.raises(ValueError, match="--paper=nope: expected one of galvao, li_wang, tran"):
        papers.get("nope")


# ------------------------------------------------------------------ hand-made evaluation


def _entry(name, preset, mae=None, conditions=None, **extra):
    return {"name": name, "run_dir": f"runs/{name}", "preset": preset, "method": "supervised",
            "mae": mae or {}, "metrics": extra.pop("metrics", {}),
            "conditions": conditions or {}, **extra}


CIFAR_200 = {"train_dataset": "cifar10", "image_size": 32, "epochs": 200,
             "epochs_trained": 200, "max_examples": None}


def _galvao_results(dataset="cifar10", conditions=CIFAR_200):
    return {
        "dataset": dataset, "split": "test", "max_examples": None,
        "runs": [
            _entry("unet_l1", "unet_l1", {"train": 0.0300, "val": 0.0700, "test": 0.0650},
                   conditions, mae_ci={"train": [0.028, 0.032], "val": [0.068, 0.072],
                                       "test": [0.063, 0.067]}),
            _entry("unet_l2", "unet_l2", {"train": 0.0310, "val": 0.0710, "test": 0.0660},
                   conditions),
            _entry("cgan", "cgan", {"train": 0.0288, "val": 0.0600, "test": 0.0700},
                   conditions),
        ],
        "turing": {"unet_l1": {"accuracy": 0.55, "fooled_rate": 0.45, "shown": 40,
                               "ci_low": 0.4, "ci_high": 0.7}},
        "no_colour": {}}


def _row(text: str, label: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(f"| {label} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_galvao_table_side_by_side_with_the_differences():
    text = paper_report.markdown(_galvao_results(), "galvao")
    # label, run, then (measured, interval, paper, difference, paper inside the interval)
    # per column: train, val, test, Turing (its Wilson interval)
    assert _row(text, "UNET") == [
        "UNET", "`unet_l1`", "0.0300", "[0.0280, 0.0320]", "0.0239", "+0.0061", "no",
        "0.0700", "[0.0680, 0.0720]", "0.0691", "+0.0009", "yes",
        "0.0650", "[0.0630, 0.0670]", "0.0677", "-0.0027", "no",
        "55.00%", "[40.00%, 70.00%]", "60.30%", "-5.30 pp", "yes"]
    assert _row(text, "GAN") == [
        "GAN", "`cgan`", "0.0288", "-", "0.0288", "+0.0000", "-",
        "0.0600", "-", "0.0672", "-0.0072", "-", "0.0700", "-", "0.0675", "+0.0025", "-",
        "-", "-", "47.43%", "-", "-"]
    assert _row(text, "VAC + GAN") == ["VAC + GAN", "-"] + [
        "-", "-", "0.0371", "-", "-", "-", "-", "0.0666", "-", "-",
        "-", "-", "0.0668", "-", "-", "-", "-", "40.26%", "-", "-"]
    assert "match the paper's" in text and "Conditions differ" not in text
    assert "Runs this table does not report: `unet_l2`." in text
    assert "- Epochs: 200" in text and "- Resolution: 32 px" in text

    compared = paper_report.compare(_galvao_results(), "galvao")["tables"][0]["rows"][0]
    assert compared["values"]["mae_test"]["difference"] == pytest.approx(0.0650 - 0.0677)
    assert compared["values"]["turing_accuracy"]["difference"] == pytest.approx(0.55 - 0.603)
    assert compared["values"]["mae_test"]["interval"] == [0.063, 0.067]
    assert compared["values"]["mae_test"]["paper_inside"] is False
    assert compared["values"]["mae_val"]["paper_inside"] is True
    assert compared["values"]["turing_accuracy"]["paper_inside"] is True


def test_differing_conditions_are_said_plainly():
    short = {"train_dataset": "samples", "image_size": 64, "epochs": 3, "epochs_trained": 3,
             "max_examples": 24}
    results = {**_galvao_results("samples", short), "max_examples": 16}
    text = paper_report.markdown(results, "galvao")
    assert "**Conditions differ from the paper's**" in text
    assert ("Dataset: the paper used cifar10; these runs were trained on samples and "
            "evaluated on samples.") in text
    assert "Resolution: UNET (unet_l1) ran at 64 px, the paper at 32 px." in text
    assert "Epochs: GAN (cgan) trained 3 epoch(s), the paper 200." in text
    assert "trained on at most 24 and scored on at most 16 images per split" in text


def test_li_wang_accuracy_table_reads_the_decoders_and_the_image_rows():
    accuracy = {"reference": {"accuracy": 0.5}}
    results = {
        "dataset": "cifar10", "split": "test", "max_examples": None,
        "runs": [
            _entry("regression", "regression", distribution={"reference": {"accuracy": 0.41}}),
            _entry("classification", "classification", decode="mode", temperature=0.38,
                   distribution={"reference": {"accuracy": 0.6, "accuracy_ci": [0.5, 0.7]}}),
            _entry("annealed", "classification", decode="annealed", temperature=0.89,
                   distribution=accuracy),
        ],
        "distribution": {"reference": {"network": "small CNN", "rows": {
            "Grayscale": {"accuracy": 0.3, "accuracy_ci": [0.25, 0.35]},
            "Ground truth": {"accuracy": 0.9}}}}}
    text = paper_report.markdown(results, "li_wang")
    assert _row(text, "Grayscale") == ["Grayscale", "`Grayscale`", "30.00%",
                                       "[25.00%, 35.00%]", "22.00%", "+8.00 pp", "no"]
    assert _row(text, "Regression")[2:] == ["41.00%", "-", "46.00%", "-5.00 pp", "-"]
    assert _row(text, "Classification")[1:] == ["`classification`", "60.00%",
                                                "[50.00%, 70.00%]", "57.00%", "+3.00 pp", "yes"]
    assert _row(text, "Annealed")[1:] == ["`annealed`", "50.00%", "-", "65.00%", "-15.00 pp",
                                          "-"]
    assert _row(text, "Transfer Learning")[2:] == ["-", "-", "63.00%", "-", "-"]
    assert _row(text, "Ground Truth")[2:] == ["90.00%", "-", "80.00%", "+10.00 pp", "-"]


def test_tran_psnr_of_a_decoder_comes_from_the_decoder_comparison():
    results = {
        "dataset": "stl10", "split": "test", "max_examples": None,
        "runs": [
            _entry("rgb", "unet_rgb", metrics={"psnr": 20.0, "psnr_rgb": 19.0}),
            _entry("lab", "unet_l1", metrics={"psnr": 24.0, "psnr_rgb": None,
                                              "ci": {"psnr": [23.0, 25.0]}}),
            _entry("q361", "classification_q361", decode="topk", temperature=0.38,
                   metrics={"psnr": 22.5},
                   decoders=[{"decode": "mode", "temperature": None, "psnr": 21.25,
                              "ci": {"psnr": [20.0, 26.0]}},
                             {"decode": "topk", "temperature": None, "psnr": 22.5}]),
        ]}
    text = paper_report.markdown(results, "tran")
    assert _row(text, "Reconstruction")[1:7] == ["`lab`", "24.00", "[23.00, 25.00]", "30.44",
                                                 "-6.44", "no"]
    assert _row(text, "Classification (centroid)")[1:7] == ["`q361`", "21.25", "[20.00, 26.00]",
                                                            "25.28", "-4.03", "yes"]
    assert _row(text, "Classification (softmax - assigned)")[2:7] == ["22.50", "-", "25.44",
                                                                      "-2.94", "-"]
    assert _row(text, "GAN")[2:] == ["-", "-", "23.21", "-", "-", "-", "-", "17.11", "-", "-"]
    assert "the paper does not state its epochs" not in text  # no run claims epochs here


def test_report_markdown_and_metrics_json_carry_the_paper(tmp_path):
    results = _galvao_results()
    text = report.markdown_report({**results, "paper": "galvao"})
    assert text.index("## Against the paper: Galvão et al. 2019") < text.index("## Table 1")
    assert "## Against the paper" not in report.markdown_report(results)
