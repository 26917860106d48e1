"""Evaluation: metrics, scoring a predictor on a split, the multi-run comparison,
reference-classifier scores, the report and its figures. Everything here reads trained
runs through ``inference``."""
