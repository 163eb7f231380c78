"""Seed 003's normal toy; same as `mpgan experiment normal_toy`. Run with --help for options."""

import sys

from mpgan.studies import run_study

if __name__ == "__main__":
    sys.exit(run_study("normal_toy", sys.argv[1:]))
