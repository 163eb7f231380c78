"""Seed 000's Rayleigh study; same as `mpgan experiment rayleigh`. Run with --help for options."""

import sys

from mpgan.studies import run_study

if __name__ == "__main__":
    sys.exit(run_study("rayleigh", sys.argv[1:]))
