"""MP-GAN experiment 3, latent trajectories; same as `mpgan experiment latent_trajectories`. Run with --help for options."""

import sys

from mpgan.studies import run_study

if __name__ == "__main__":
    sys.exit(run_study("latent_trajectories", sys.argv[1:]))
