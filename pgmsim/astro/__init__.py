"""The astronomy toolbox beside the graph: FITS images and regions
(:mod:`.io`), the real data sets (:mod:`.datasets`), image statistics
(:mod:`.imagestats`), CCD calibration (:mod:`.calibration`), optimal
extraction (:mod:`.extraction`), radial profiles (:mod:`.profiles`) and
comparison figures (:mod:`.plots`)."""
