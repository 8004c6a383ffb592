"""Use 4, posterior inference: the density (:mod:`.posterior`), where walkers
start (:mod:`.initialization`), MAP and grids (:mod:`.optimize`), emcee runs
(:mod:`.sampling`, :mod:`.parallel`), checkpoints (:mod:`.backends`) and their
results (:mod:`.results`)."""
