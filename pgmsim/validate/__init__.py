"""Does the fit hold? Simulation-based calibration (:mod:`.sbc`) and posterior
predictive checks (:mod:`.predictive`)."""

from .._lazy import load_on_first_use

__all__ = ["sbc", "predictive"]

__getattr__ = load_on_first_use(__name__, __all__)  # submodules load on first use
