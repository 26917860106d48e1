"""Reproducing a paper in one call: every method of its experiment trained with its
presets and schedule (resuming, never training a finished run twice), evaluated with its
tables beside the measured figures (``colorization-reproduce``)."""

from colorization_tf.reproduction.plans import PLANS, SCALES, MethodPlan, PaperPlan, Scale
from colorization_tf.reproduction.run import Reproduction, is_finished, reproduce

__all__ = ["PLANS", "SCALES", "MethodPlan", "PaperPlan", "Reproduction", "Scale",
           "is_finished", "reproduce"]
