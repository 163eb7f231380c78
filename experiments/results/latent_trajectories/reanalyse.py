"""Re-analyse the latent study's six trained runs with the corrected verdict (no retraining)."""

from pathlib import Path

from mpgan.studies import digits as D
from mpgan.studies import latent_trajectories as LT
from mpgan.training import Trainer

src = Path("/work/scratch/studies/latent_trajectories")
dst = Path("/work/scratch/studies/latent_reanalysed")
dst.mkdir(exist_ok=True)
outputs = []
for setting in LT.SETTINGS:
    for seed in range(3):
        trainer = Trainer.from_run(src / "runs" / f"{setting}_seed{seed}", progress=False)
        out = LT.analyse(trainer, seed)
        for row in out["rows"]:
            row["setting"] = setting
        outputs.append(out)
        print(setting, seed, flush=True)
scale = (f"Each run: 500 steps at batch 64 of the reference pair ({D.BASE}.yaml); `modern` adds {D.MODERN_TEXT}. "
         f"Data: {D.run_summary('mnist')}. Command: `mpgan experiment latent_trajectories --jobs 2 --steps 500` "
         "(1 h 07 min, other jobs sharing the 2 cores; the analysis was re-run on the same trained runs after "
         "the verdict's metric was corrected, see docs/studies/latent-trajectories.md).\n\n")
LT.write_up(dst, outputs, scale)
