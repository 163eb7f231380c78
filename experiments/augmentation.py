"""Does a conditional GAN help a classifier trained on few digits? Same as `mpgan experiment augmentation`. Run with --help for options."""

import sys

from mpgan.studies import run_study

if __name__ == "__main__":
    sys.exit(run_study("augmentation", sys.argv[1:]))
