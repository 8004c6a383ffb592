"""Hand-placed node positions of daft's gallery (and of the KIPAC course's
X-ray PGMs, drawn with daft), mapped to the node names of
:mod:`pgmsim.draw.gallery`.

Each entry is the ``(x, y)`` of daft's ``add_node(name, label, x, y)`` in the
original example (daft-dev/daft ``docs/examples/*.md`` and ``examples/*.py``;
KIPAC/StatisticalMethods ``.archive/2015/examples/XrayImage/cluster_pgm.py``),
so that ``layout(model, positions=DAFT_POSITIONS[name]).crossings()`` counts
the edge crossings of the hand-drawn PGM by the same rule as the automatic one.
"""


def _galex():
    el_x, el_y, dy = 2.0, 2.0, 0.75
    ph_x, ph_y = el_x + 2.5, el_y + 3 * dy
    sc_x, sc_y = ph_x + 1.5, ph_y - 2 * dy
    star_x, star_y = el_x, el_y + 4 * dy
    return {
        "raw6": (el_x, el_y), "xabc": (el_x + 0.5, el_y + dy), "xyt": (el_x + 1.0, el_y + 2 * dy),
        "I_xyt": (ph_x, ph_y), "I_xnt": (ph_x, ph_y + dy), "I_adt": (ph_x, ph_y + 2 * dy),
        "dark": (sc_x, sc_y - dy), "flat": (sc_x, sc_y), "att": (sc_x, sc_y + 3 * dy),
        "optics": (sc_x, sc_y + 2 * dy), "psf": (sc_x, sc_y + dy), "sky": (sc_x, sc_y + 4 * dy),
        "I_star": (star_x + 0.5, star_y + dy), "L": (star_x + 1.0, star_y),
        "pos": (star_x, star_y),
    }


def _recursive(levels=4):
    """The positions daft's recursive example computes (map nodes on a row,
    each reduce level 0.7 lower, centred under its two inputs)."""
    xy = {"query": (3.0, 6.0), "input": (7.5, 6.0), "output": (7.5, -1.0),
          "answer": (12.0, -1.0)}
    xy.update({f"map_{c:02d}": (float(c), 3.0) for c in range(2**levels)})
    for level in range(1, levels + 1):
        for r in range(2 ** (levels - level)):
            xy[f"reduce_{level}_{r}"] = (2**level * (r + 0.5) - 0.5, 3 - 0.7 * level)
    return xy


_KIPAC_XRAY = {"theta": (1.7, 2.8), "mu": (1.7, 1.7), "ex": (0.9, 1.7), "pb": (1.3, 1.1),
               "N": (2.7, 1.7)}

#: gallery model name -> node name -> daft's hand-placed ``(x, y)``
DAFT_POSITIONS = {
    "classic": {"alpha": (0.5, 2), "beta": (1.5, 2), "w": (1, 1), "x": (2, 1)},
    "bca": {"a": (1, 5), "b": (1, 4), "c": (1, 3)},
    "exoplanets": {"phi": (1, 3), "z": (2, 3), "x": (2, 2), "s": (4, 3), "g": (4, 2),
                   "mu": (3, 3), "p": (3, 2), "y": (2.5, 1)},
    "weak_lensing": {"Omega": (-1, 4), "gamma": (0, 4), "eps_obs": (1, 4), "alpha": (3, 4),
                     "eps_true": (2, 4), "sigma": (1, 3), "Sigma": (0, 3), "x": (2, 3)},
    "gaia": {"omega": (2, 5), "X_true": (2, 4), "X": (2, 3), "alpha": (3, 4),
             "Sigma": (0, 3), "sigma": (1, 3)},
    "yike": {"eps_obs": (2, 3), "eps_true": (1, 3), "alpha": (-0.25, 3),
             "shape_prior": (-1.25, 3), "gamma": (2, 4), "gamma_prior": (-0.25, 4),
             "sigma": (3.25, 3)},
    "wordy": {"cloudy": (3, 3), "rain": (2, 2), "sprinkler": (4, 2), "wet": (3, 1)},
    "galex": _galex(),
    "recursive": _recursive(),
    "kipac_xray_forward": _KIPAC_XRAY,
    "kipac_xray_inverse": _KIPAC_XRAY,
}
