"""MP-GAN experiment 2, scratch vs pretrained discriminator; same as `mpgan experiment pretrained_discriminator`. Run with --help for options."""

import sys

from mpgan.studies import run_study

if __name__ == "__main__":
    sys.exit(run_study("pretrained_discriminator", sys.argv[1:]))
