"""Does the fit hold? Simulation-based calibration (:mod:`.sbc`) and posterior
predictive checks (:mod:`.predictive`); model comparison by evidence and LOO
(:mod:`.compare`)."""

from .._lazy import load_on_first_use

__all__ = ["sbc", "predictive", "compare"]

__getattr__ = load_on_first_use(__name__, __all__)  # submodules load on first use
