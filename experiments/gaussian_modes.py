"""Seed 001's multi-modal Gaussians study; same as `mpgan experiment gaussian_modes`. Run with --help for options."""

import sys

from mpgan.studies import run_study

if __name__ == "__main__":
    sys.exit(run_study("gaussian_modes", sys.argv[1:]))
