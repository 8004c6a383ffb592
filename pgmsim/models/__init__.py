"""Ready-made models, one module each, importable as ``pgmsim.models.<name>``.

Each module provides ``build(...)`` returning the :class:`pgmsim.Model`,
``default_inputs(seed=...)`` making realistic inputs for a mock, and
``TRUTH``, parameter values for the demo mock, and ``DESCRIPTION``, one line
for ``pgmsim list``. Optional hooks used by ``pgmsim run``: ``as_image(values,
inputs)`` reshapes a plate vector into an image, and ``initial_guess(inputs,
data)`` gives a starting point for the MAP search.
"""
