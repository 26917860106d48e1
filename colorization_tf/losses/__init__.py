"""Loss functions: pure functions of tensors, one value per example.

``reconstruction`` holds the pixel losses (Galvão et al. eq. 1, 2) and the global-batch mean;
``adversarial`` the GAN, auxiliary-classifier and WGAN-GP terms (eq. 5-7, Tran and Ly 2024); ``saliency`` the
multi-path GAN's terms (Sarkar et al. 2022).
"""

from colorization_tf.losses import adversarial, reconstruction, saliency
from colorization_tf.losses.reconstruction import (
    global_mean,
    per_example_l1,
    per_example_l2,
    reconstruction_loss,
)

__all__ = ["adversarial", "global_mean", "per_example_l1", "per_example_l2", "reconstruction",
           "reconstruction_loss", "saliency"]
