"""The papers' published tables, typed: ``paper_results.json`` (shipped with the package)
read into ``Paper`` / ``PaperTable`` dataclasses and validated, so the report can put a
paper's value beside each figure a run measured.

Each paper has a short name (``galvao`` for Galvão et al. 2019, the primary paper;
``li_wang`` for Li and Wang 2018; ``tran`` for Tran Nhat and Ly Nguyen Thuy 2024), one
citation, and tables; each table states where it is printed and under which conditions
(dataset, resolution, epochs), and each row says which run it compares with (``Match``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os

DATA_FILE = os.path.join(os.path.dirname(__file__), "paper_results.json")
# What a column can compare (the measured side is looked up by evaluation.paper_report).
METRIC_KEYS = ("mae_train", "mae_val", "mae_test", "turing_accuracy", "reference_accuracy",
               "psnr", "inception_score")
UNITS = ("ab", "percent", "dB", "score")
IMAGES = ("gray", "ground_truth")


class PaperDataError(ValueError):
    """The data file is malformed (names the paper, table or row)."""


@dataclasses.dataclass(frozen=True)
class Citation:
    authors: tuple[str, ...]
    title: str
    venue: str
    year: int
    short: str  # how the code and the docs cite it, e.g. "Galvão et al. 2019"
    note: str = ""

    def text(self) -> str:
        """Authors, title, venue and year, as docs/references.md writes them."""
        names = ", ".join(self.authors[:-1]) + (" and " if len(self.authors) > 1 else "") \
            + self.authors[-1]
        return f"{names}. \"{self.title}\". {self.venue}, {self.year}."


@dataclasses.dataclass(frozen=True)
class Conditions:
    """What a published figure was measured under; a row may override image_size/epochs."""

    dataset: str  # this package's dataset name (TFDS name or samples)
    dataset_label: str
    image_size: int | None
    epochs: int | None  # None: the paper does not say
    evaluated_on: str = ""
    notes: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Column:
    key: str  # one of METRIC_KEYS
    label: str
    unit: str  # one of UNITS
    better: str  # "lower" | "higher"


@dataclasses.dataclass(frozen=True)
class Match:
    """The run a paper row compares with: a preset (classification runs: with a decoder
    and temperature), or the gray / ground-truth images themselves."""

    preset: str | None = None
    decode: str | None = None
    temperature: float | None = None
    images: str | None = None


@dataclasses.dataclass(frozen=True)
class Row:
    label: str
    match: Match
    values: dict[str, float]
    image_size: int | None = None  # overrides the table's conditions for this row
    epochs: int | None = None


@dataclasses.dataclass(frozen=True)
class PaperTable:
    id: str
    title: str
    where: str  # where the paper prints it, e.g. "§5.2, Table 1"
    citation: Citation
    conditions: Conditions
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]

    def row_image_size(self, row: Row) -> int | None:
        return row.image_size or self.conditions.image_size

    def row_epochs(self, row: Row) -> int | None:
        return row.epochs or self.conditions.epochs


@dataclasses.dataclass(frozen=True)
class Paper:
    name: str
    citation: Citation
    dataset: str  # the dataset its experiments used (reproduce's default)
    tables: tuple[PaperTable, ...]


def _need(values: dict, key: str, kind, where: str):
    if key not in values:
        raise PaperDataError(f"{DATA_FILE}: {where}: missing {key!r}")
    value = values[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise PaperDataError(f"{DATA_FILE}: {where}: {key!r} should be {kind}, got {value!r}")
    return value


def _citation(values: dict, where: str) -> Citation:
    authors = tuple(_need(values, "authors", list, where))
    if not authors or not all(isinstance(a, str) and a.strip() for a in authors):
        raise PaperDataError(f"{DATA_FILE}: {where}: 'authors' should list names")
    citation = Citation(authors, _need(values, "title", str, where),
                        _need(values, "venue", str, where), _need(values, "year", int, where),
                        _need(values, "short", str, where), values.get("note", ""))
    if not (citation.title.strip() and citation.venue.strip() and 1900 < citation.year < 2100):
        raise PaperDataError(f"{DATA_FILE}: {where}: empty title/venue or implausible year")
    return citation


def _conditions(values: dict, where: str) -> Conditions:
    def size(key):
        value = values.get(key)
        if value is not None and (not isinstance(value, int) or value < 1):
            raise PaperDataError(f"{DATA_FILE}: {where}: {key!r} should be a positive integer "
                                 "or null")
        return value

    return Conditions(_need(values, "dataset", str, where),
                      _need(values, "dataset_label", str, where), size("image_size"),
                      size("epochs"), values.get("evaluated_on", ""),
                      tuple(values.get("notes", ())))


def _row(values: dict, columns: dict[str, Column], where: str) -> Row:
    label = _need(values, "label", str, where)
    where = f"{where} row {label!r}"
    match = Match(**_need(values, "match", dict, where))
    if (match.preset is None) == (match.images is None):
        raise PaperDataError(f"{DATA_FILE}: {where}: match needs a preset or images")
    if match.images is not None and match.images not in IMAGES:
        raise PaperDataError(f"{DATA_FILE}: {where}: images should be one of {IMAGES}")
    figures = _need(values, "values", dict, where)
    for key, value in figures.items():
        if key not in columns:
            raise PaperDataError(f"{DATA_FILE}: {where}: value {key!r} has no column")
        if not isinstance(value, (int, float)) or isinstance(value, bool) or \
                not math.isfinite(value):
            raise PaperDataError(f"{DATA_FILE}: {where}: {key!r} should be a number")
        if columns[key].unit == "percent" and not 0.0 <= value <= 1.0:
            raise PaperDataError(f"{DATA_FILE}: {where}: {key!r} is a percentage: store it "
                                 "as a fraction in [0, 1]")
    override = values.get("conditions", {})
    return Row(label, match, {k: float(v) for k, v in figures.items()},
               override.get("image_size"), override.get("epochs"))


def _table(values: dict, citation: Citation, where: str) -> PaperTable:
    table_id = _need(values, "id", str, where)
    where = f"{where} table {table_id!r}"
    columns = {}
    for column in _need(values, "columns", list, where):
        column = Column(**column)
        if column.key not in METRIC_KEYS or column.unit not in UNITS or \
                column.better not in ("lower", "higher"):
            raise PaperDataError(f"{DATA_FILE}: {where}: column {column.key!r} should have a "
                                 f"key in {METRIC_KEYS}, a unit in {UNITS} and better "
                                 "lower/higher")
        columns[column.key] = column
    rows = tuple(_row(row, columns, where) for row in _need(values, "rows", list, where))
    if not rows:
        raise PaperDataError(f"{DATA_FILE}: {where}: no rows")
    return PaperTable(table_id, _need(values, "title", str, where),
                      _need(values, "where", str, where), citation,
                      _conditions(_need(values, "conditions", dict, where), where),
                      tuple(columns.values()), rows)


def parse(data: dict) -> dict[str, Paper]:
    """Papers by short name from the data file's JSON; raises PaperDataError."""
    papers = {}
    for name, values in _need(data, "papers", dict, "top level").items():
        where = f"paper {name!r}"
        citation = _citation(_need(values, "citation", dict, where), where)
        tables = tuple(_table(t, citation, where) for t in _need(values, "tables", list, where))
        papers[name] = Paper(name, citation, _need(values, "dataset", str, where), tables)
    return papers


@functools.cache
def load() -> dict[str, Paper]:
    """Every paper of the shipped data file, by short name."""
    with open(DATA_FILE, encoding="utf-8") as handle:
        return parse(json.load(handle))


def names() -> list[str]:
    return sorted(load())


def get(name: str) -> Paper:
    """The paper called ``name``; a ValueError naming ``--paper`` and the choices."""
    papers = load()
    if name not in papers:
        raise ValueError(f"--paper={name}: expected one of {', '.join(sorted(papers))}")
    return papers[name]
