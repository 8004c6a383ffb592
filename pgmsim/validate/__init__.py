"""Does the fit hold? Simulation-based calibration (:mod:`.sbc`) and posterior
predictive checks (:mod:`.predictive`)."""

import importlib

__all__ = ["sbc", "predictive"]


def __getattr__(name):
    if name in __all__:  # PEP 562: a submodule loads on first use
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
