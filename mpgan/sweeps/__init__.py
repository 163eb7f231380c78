"""Cells, backends and sweeps: every run of a study or sweep is a *cell*, recorded in the
output folder's ``cells.json`` when it ends, so the same command run again resumes; cells
run on this machine (``local``) or on a Ray cluster (``ray``). ``mpgan sweep`` varies any
config keys over a grid or random samples (:mod:`.sweep`), optionally under Ray Tune's
ASHA scheduler (:mod:`.asha`)."""
