"""Ready-made models, one module each, importable as ``pgmsim.models.<name>``.

Each module provides ``build(...)`` returning the :class:`pgmsim.Model`,
``default_inputs(seed=...)`` making realistic inputs for a mock, and
``TRUTH``, parameter values for the demo mock.
"""

__all__ = ["xray_agn"]
