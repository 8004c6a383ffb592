"""Does the fit hold? Simulation-based calibration (:mod:`.sbc`) and posterior
predictive checks (:mod:`.predictive`)."""
