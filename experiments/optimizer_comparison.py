"""MP-GAN experiment 1, optimizer comparison; same as `mpgan experiment optimizer_comparison`. Run with --help for options."""

import sys

from mpgan.studies import run_study

if __name__ == "__main__":
    sys.exit(run_study("optimizer_comparison", sys.argv[1:]))
