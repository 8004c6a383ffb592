"""Ready-made models, one module each, importable as ``pgmsim.models.<name>``.

Each module provides ``build(...)`` returning the :class:`pgmsim.Model`,
``default_inputs(seed=...)`` making realistic inputs for a mock, and
``TRUTH``, parameter values for the demo mock, and ``DESCRIPTION``, one line
for ``pgmsim list``. Each model declares its pixels as an image plate, so that
``model.image(values)`` turns a plate vector into an image. Optional hooks used
by ``pgmsim run``: ``default_keep(seed=...)``, the pixels that
``default_inputs`` keeps when it drops some, passed as ``build(keep=...)``;
``view_image(image, inputs)``, the part of ``model.image(values)`` to show (the
science frame of ``ccd_frames``); and ``initial_guess(inputs, data)``, a
starting point for the MAP search. Modules whose names start with ``_`` hold
parts of a model's module and are not models.
"""
