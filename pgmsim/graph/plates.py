"""Plates: named index sets, optionally the pixels of a 2-D image.

A plate declared with ``shape=(ny, nx)`` (and optionally a boolean ``mask``)
holds the pixels of an image in C order, so that a vector along it turns back
into an image with :meth:`Plate.image` (or :meth:`PlateDeclarations.image` on
the model), and an image into a vector with :meth:`Plate.vector`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .nodes import ModelError, NodeKind

__all__ = ["Plate", "PlateDeclarations", "image_to_plate", "plate_to_image"]


def _shape2d(shape) -> tuple[int, int]:
    shape = tuple(int(n) for n in np.atleast_1d(shape))
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"shape must be two positive integers (ny, nx); got {shape}")
    return shape


@dataclass(frozen=True)
class Plate:
    """A named index set ("pixels k", "sources j"), optionally an image's pixels.

    Parameters
    ----------
    name : str
        Plate name, e.g. ``"pixels"``.
    index : str
        LaTeX index symbol, e.g. ``"k"``.
    size : int or None
        Declared size; ``None`` when it comes from the inputs or data.
    within : str or None
        Name of the enclosing plate, for nested plates.
    label : str
        Text drawn on the plate in the PGM.
    shape : tuple of int or None
        ``(ny, nx)`` when the plate holds the pixels of an image.
    mask : numpy.ndarray of bool or None
        For an image plate, the pixels on the plate (True), in C order;
        ``None`` puts every pixel on it.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> m = pg.Model("frames")
    >>> m.plate("frames", size=3, index="i")
    Plate(name='frames', index='i', size=3, within=None, label='frames $i$')
    >>> m.plate("pixels", shape=(2, 3), mask=np.eye(2, 3, dtype=bool))
    Plate(name='pixels', index='k', size=2, within=None, label='pixels $k$', shape=(2, 3), mask=<2 of 6 pixels>)
    """

    name: str
    index: str
    size: Optional[int] = None
    within: Optional[str] = None
    label: Optional[str] = None
    shape: Optional[tuple] = None
    mask: Optional[np.ndarray] = field(default=None, compare=False)

    @staticmethod
    def _image_geometry(name, size, shape, mask):
        """Checked ``(size, shape, mask)`` of a plate; ValueError names the plate."""
        if shape is None:
            if mask is not None:
                raise ValueError(f"plate {name!r}: a mask needs the image shape, "
                                 "e.g. shape=mask.shape")
            return size, None, None
        try:
            valid = len(shape) == 2 and all(
                not isinstance(n, (bool, np.bool_)) and int(n) == n and n >= 1 for n in shape)
        except TypeError:
            valid = False
        if not valid:
            raise ValueError(f"plate {name!r}: shape must be two positive integers "
                             f"(ny, nx), got {shape!r}")
        shape = (int(shape[0]), int(shape[1]))
        pixels = shape[0] * shape[1]
        if mask is not None:
            mask = np.asarray(mask)
            if mask.dtype != bool or mask.shape != shape:
                raise ValueError(
                    f"plate {name!r}: mask must be a boolean image of shape {shape} "
                    f"(True = pixel on the plate), got dtype {mask.dtype} and shape "
                    f"{mask.shape}")
            pixels = int(mask.sum())
            if pixels == 0:
                raise ValueError(f"plate {name!r}: the mask keeps no pixel")
            mask = mask.copy()
            mask.flags.writeable = False
        if size is not None and size != pixels:
            raise ValueError(f"plate {name!r}: size {size} disagrees with the {pixels} "
                             f"pixels of its image shape {shape}"
                             + (" and mask" if mask is not None else ""))
        return pixels, shape, mask

    @property
    def pixel_index(self):
        """Flat C-order pixel index of each plate element (image plates only)."""
        self._require_shape()
        if self.mask is None:
            return np.arange(self.size, dtype=np.int64)
        return np.flatnonzero(self.mask).astype(np.int64)

    def image(self, values, fill=np.nan):
        """Turn vectors along this plate into images.

        Parameters
        ----------
        values : array_like, shape (..., size)
            One value per plate element; leading axes (e.g. draws) are kept.
        fill : scalar
            Value of the pixels off the plate (masked out). The default NaN
            makes the result floating point.

        Returns
        -------
        numpy.ndarray, shape (..., ny, nx)

        Raises
        ------
        ValueError
            If the plate has no image shape, or the last axis of ``values``
            is not the plate's size.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> m = pg.Model()
        >>> plate = m.plate("pixels", shape=(2, 2), mask=np.array([[True, False], [True, True]]))
        >>> plate.image([1, 2, 3], fill=0)
        array([[1, 0],
               [2, 3]])
        """
        values = np.asarray(values)
        self._check_length(values.shape, "values")
        return plate_to_image(values, self.pixel_index, self.shape, fill=fill)

    def vector(self, image):
        """The plate elements of images: the reverse of :meth:`image`.

        Parameters
        ----------
        image : array_like, shape (..., ny, nx)

        Returns
        -------
        numpy.ndarray, shape (..., size)

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> m = pg.Model()
        >>> plate = m.plate("pixels", shape=(2, 2), mask=np.array([[True, False], [True, True]]))
        >>> plate.vector(np.arange(4).reshape(2, 2))
        array([0, 2, 3])
        """
        image = np.asarray(image)
        self._require_shape()
        if image.shape[-2:] != self.shape:
            raise ValueError(f"plate {self.name!r}: images must end with the plate's "
                             f"shape {self.shape}, got shape {image.shape}")
        return image.reshape(image.shape[:-2] + (-1,))[..., self.pixel_index]

    def _require_shape(self):
        if self.shape is None:
            raise ValueError(f"plate {self.name!r} has no image shape; declare it with "
                             f"m.plate({self.name!r}, shape=(ny, nx))")

    def _check_length(self, shape, what):
        self._require_shape()
        if not shape or shape[-1] != self.size:
            raise ValueError(f"plate {self.name!r} has {self.size} elements but the "
                             f"{what} have shape {shape}")

    def __repr__(self):
        text = (f"Plate(name={self.name!r}, index={self.index!r}, size={self.size!r}, "
                f"within={self.within!r}, label={self.label!r}")
        if self.shape is not None:
            text += f", shape={self.shape!r}"
        if self.mask is not None:
            text += f", mask=<{self.size} of {self.mask.size} pixels>"
        return text + ")"


_INDEX_LETTERS = ("k", "j", "i", "l", "m", "n", "p", "q")


class PlateDeclarations:
    """The plate declarations and queries of :class:`~pgmsim.graph.model.Model`
    (``self.plates`` maps names to :class:`Plate`, ``self.graph`` holds the nodes).

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> m = pg.Model("stamp")
    >>> _ = m.plate("pixels", shape=(2, 2))
    >>> m.fixed("ex", plate="pixels")
    'ex'
    >>> m.plate_sizes({"ex": np.ones(4)}), m.image(np.arange(4.0))
    ({'pixels': 4}, array([[0., 1.],
           [2., 3.]]))
    """

    def plate(self, name, size=None, index=None, label=None, within=None, shape=None,
              mask=None):
        """Declare a plate (a named index set), optionally the pixels of an image.

        Declaring a plate is optional: using a plate name in a node declaration
        creates it with default settings. Declare it to set its size, its LaTeX
        index, its label, its enclosing plate or its image shape.

        Parameters
        ----------
        name : str
            Plate name, e.g. ``"sources"``.
        size : int, optional
            Number of elements; otherwise taken from the inputs or data.
        index : str, optional
            LaTeX index; by default ``k``, then ``j``, ``i``, ... in order of
            declaration.
        label : str, optional
            Text drawn on the plate; by default the name and the index range.
        within : str, optional
            Name of an enclosing plate (nested plates).
        shape : tuple of int, optional
            ``(ny, nx)``: the plate holds the pixels of an image, in C order,
            and :meth:`image` turns vectors along it back into images. Its
            size is ``ny * nx``, or the number of True pixels of ``mask``.
        mask : numpy.ndarray of bool, optional
            With ``shape``, the image's pixels that are on the plate (True).

        Returns
        -------
        Plate

        Raises
        ------
        ModelError
            If the plate exists already, ``within`` names no plate, ``size``
            is not a positive integer or disagrees with ``shape`` and ``mask``,
            ``shape`` is not two positive integers, or ``mask`` is not a
            boolean image of that shape with at least one True pixel.

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model("frames")
        >>> m.plate("frames", size=3, index="i")
        Plate(name='frames', index='i', size=3, within=None, label='frames $i$')
        >>> m.plate("pixels", index="k", within="frames").within
        'frames'
        >>> m.plate("sky", shape=(64, 48)).size
        3072
        """
        if name in self.plates:
            raise ModelError(f"plate {name!r} is already declared")
        if not isinstance(name, str) or not name.isidentifier():
            raise ModelError(f"plate name must be an identifier, got {name!r}")
        if size is not None:
            if isinstance(size, bool) or int(size) != size or size < 1:
                raise ModelError(
                    f"plate {name!r}: size must be a positive integer, got {size!r}"
                )
            size = int(size)
        try:
            size, shape, mask = Plate._image_geometry(name, size, shape, mask)
        except ValueError as err:
            raise ModelError(str(err)) from None
        if within is not None and within not in self.plates:
            raise ModelError(
                f"plate {name!r}: enclosing plate {within!r} is not declared; "
                f"known plates: {sorted(self.plates) or 'none'}"
            )
        if index is None:
            used = {p.index for p in self.plates.values()}
            index = next(i for i in _INDEX_LETTERS if i not in used)
        if label is None:
            label = f"{name} ${index}$"
        plate = Plate(name=name, index=index, size=size, within=within, label=label,
                      shape=shape, mask=mask)
        self.plates[name] = plate
        return plate

    def plate_chain(self, plate):
        """The plate and its enclosing plates, innermost first.

        Parameters
        ----------
        plate : str or None
            A plate name; ``None`` (no plate) gives an empty list.

        Returns
        -------
        list of str

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model("frames")
        >>> _ = m.plate("frames")
        >>> _ = m.plate("pixels", within="frames")
        >>> m.plate_chain("pixels")
        ['pixels', 'frames']
        """
        chain = []
        while plate is not None:
            chain.append(plate)
            plate = self.plates[plate].within
        return chain

    def plate_index(self, plate):
        """LaTeX index of a plate with its enclosing ones, outermost first: ``"j,k"``.

        Parameters
        ----------
        plate : str or None

        Returns
        -------
        str
            Empty for ``None``.

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model()
        >>> _ = m.plate("frames", index="j")
        >>> _ = m.plate("pixels", index="k", within="frames")
        >>> m.plate_index("pixels")
        'j,k'
        """
        return ",".join(self.plates[p].index for p in reversed(self.plate_chain(plate)))

    def plate_sizes(self, values):
        """Size of each plate, from declarations and from the given values.

        Parameters
        ----------
        values : dict
            Node values (inputs, data, parameters) keyed by name.

        Returns
        -------
        dict
            Plate name to size; plates whose size is unknown are absent.

        Raises
        ------
        ValueError
            If two nodes disagree on the length of a plate, or a value on a
            plate is not a vector (nor, for a fixed input, a matrix whose
            first axis runs along the plate).

        Examples
        --------
        >>> from pgmsim.models import xray_agn
        >>> xray_agn.build().plate_sizes(xray_agn.default_inputs(size=40))
        {'pixels': 1600}
        """
        sizes, source = {}, {}
        for name, value in values.items():
            node = self.graph.nodes[name]["node"] if name in self.graph else None
            if node is None or node.plate is None:
                continue
            shape = np.shape(value)
            # a fixed input may be a matrix whose rows run along the plate
            matrix = node.kind is NodeKind.FIXED and len(shape) == 2
            if len(shape) != 1 and not matrix:
                raise ValueError(
                    f"node {name!r} lives on plate {node.plate!r} and must be a "
                    f"1-D vector along it"
                    + (" (or, for a fixed input, a matrix of shape (K, D))"
                       if node.kind is NodeKind.FIXED else "")
                    + f", got an array of shape {shape}"
                )
            if node.plate in sizes and sizes[node.plate] != shape[0]:
                raise ValueError(
                    f"node {name!r} has length {shape[0]} but plate {node.plate!r} "
                    f"has size {sizes[node.plate]} (from node {source[node.plate]!r})"
                )
            sizes[node.plate] = shape[0]
            source.setdefault(node.plate, name)
        # the values agree among themselves; now with the declared sizes
        for plate in self.plates.values():
            if plate.size is None:
                continue
            if sizes.setdefault(plate.name, plate.size) != plate.size:
                raise ValueError(
                    f"node {source[plate.name]!r} has length {sizes[plate.name]} but plate "
                    f"{plate.name!r} has size {plate.size} (from its declaration"
                    + ("" if plate.shape is None else
                       f": the {plate.size} pixels of an image of shape {plate.shape}"
                       + (" and its mask" if plate.mask is not None else "")
                       + "; values over other pixels need a model declared with their "
                         "image shape and mask, for a ready-made model build(..., keep=mask)")
                    + ")")
        return sizes

    def image(self, values, plate=None, fill=np.nan):
        """Turn vectors along an image plate (data, model, residuals) into images.

        Parameters
        ----------
        values : array_like, shape (..., size)
            One value per plate element; leading axes (e.g. draws) are kept.
        plate : str, optional
            The plate; by default the model's only plate with an image shape.
        fill : scalar
            Value of the pixels off the plate (masked out); NaN by default.

        Returns
        -------
        numpy.ndarray
            Images of shape ``(..., ny, nx)``, as from :meth:`Plate.image`.

        Raises
        ------
        ValueError
            If the plate has no image shape (or ``plate`` is omitted and the
            model has no image plate, or several), or ``values`` do not end
            with an axis of the plate's size.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> m = pg.Model("sky")
        >>> _ = m.plate("pixels", shape=(3, 4))
        >>> m.image(np.arange(12)).shape, m.image(np.zeros((5, 12))).shape
        ((3, 4), (5, 3, 4))
        """
        return self._image_plate(plate).image(values, fill=fill)

    def _check_plates(self, node):
        """Stochastic nodes broadcast their arguments: each must live on the
        node's plate, an enclosing plate, or no plate."""
        if not node.kind.stochastic:
            return
        allowed = set(self.plate_chain(node.plate))
        for parent in node.parents:
            plate = self.node(parent).plate
            if plate is not None and plate not in allowed:
                where = f"plate {node.plate!r}" if node.plate else "no plate"
                raise ModelError(
                    f"node {node.name!r} on {where} cannot take {parent!r} (on plate "
                    f"{plate!r}) as a distribution argument: the shapes do not "
                    f"broadcast; put {node.name!r} on plate {plate!r} or reduce "
                    f"{parent!r} in a deterministic node"
                )

    def _image_plate(self, plate):
        if plate is not None:
            return self.plates[plate]
        shaped = [p for p in self.plates.values() if p.shape is not None]
        if len(shaped) != 1:
            raise ValueError(
                f"model {self.name!r} has {len(shaped)} plates with an image shape "
                f"({', '.join(p.name for p in shaped) or 'none'}); name one with plate=..."
                if shaped else
                f"model {self.name!r} has no plate with an image shape; declare one with "
                "m.plate(name, shape=(ny, nx))")
        return shaped[0]


def image_to_plate(image, keep=None) -> dict[str, np.ndarray]:
    """Turn an image into plate vectors, one entry per kept pixel.

    Parameters
    ----------
    image : numpy.ndarray or pgmsim.astro.io.Image
        A 2D image.
    keep : numpy.ndarray of bool, optional
        Same shape as `image`; True marks the pixels to **keep** (e.g.
        ``exposure > 0`` or ``~region_mask(...)``). None keeps every pixel.

    Returns
    -------
    dict
        ``x`` (column, float64), ``y`` (row, float64), ``values`` (the pixel
        values, original dtype) and ``index`` (the flat C-order indices of the
        kept pixels, int64), all 1D and of equal length, in C order.
        :func:`plate_to_image` inverts this.

    Raises
    ------
    ValueError
        If `image` is not 2D, or `keep` is not a boolean array of its shape.

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.graph.plates import image_to_plate
    >>> plate = image_to_plate(np.arange(6).reshape(2, 3), keep=np.eye(2, 3, dtype=bool))
    >>> plate["x"], plate["y"], plate["values"]
    (array([0., 1.]), array([0., 1.]), array([0, 4]))
    """
    name = f"image ({image.name})" if hasattr(image, "wcs") else "image"
    data = np.asarray(image.data if hasattr(image, "wcs") else image)
    if data.ndim != 2:
        raise ValueError(f"{name} must be 2D; got shape {data.shape}")
    if keep is None:
        index = np.arange(data.size, dtype=np.int64)
    else:
        keep = np.asarray(keep)
        if keep.dtype != bool or keep.shape != data.shape:
            raise ValueError(
                f"keep must be a boolean array of the image's shape {data.shape} "
                f"(True = keep the pixel); got dtype {keep.dtype} and shape {keep.shape}. "
                "Build it with a comparison, e.g. keep=exposure > 0"
            )
        index = np.flatnonzero(keep).astype(np.int64)
    y, x = np.divmod(index, data.shape[1])
    return {
        "x": x.astype(np.float64),
        "y": y.astype(np.float64),
        "values": data.ravel()[index],
        "index": index,
    }


def plate_to_image(values, index, shape, fill=np.nan) -> np.ndarray:
    """Put plate values back into an image; the inverse of :func:`image_to_plate`.

    Parameters
    ----------
    values : array_like, shape (..., K)
        Values, one per kept pixel (data, model predictions, residuals...);
        leading axes (e.g. draws) are kept.
    index : array_like of int, shape (K,)
        Flat C-order pixel indices, as returned by :func:`image_to_plate`.
    shape : tuple of int
        Image shape ``(ny, nx)``.
    fill : scalar, optional
        Value for pixels not in `index`. The default NaN makes the result
        floating point; pass e.g. ``fill=0`` to keep integer values integer.

    Returns
    -------
    numpy.ndarray, shape (..., ny, nx)
        Images of dtype ``numpy.result_type(values, fill)``.

    Raises
    ------
    ValueError
        If `index` is not 1D, the last axis of `values` and `index` differ in
        length, or an index falls outside the image.

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.graph.plates import plate_to_image
    >>> plate_to_image([7, 9], [0, 4], (2, 3), fill=0)
    array([[7, 0, 0],
           [0, 9, 0]])
    """
    ny, nx = _shape2d(shape)
    values = np.asarray(values)
    index = np.asarray(index)
    if values.ndim < 1 or index.ndim != 1 or values.shape[-1] != index.shape[0]:
        raise ValueError(
            f"index must be 1D and of equal length to the last axis of values; got "
            f"shapes {values.shape} and {index.shape}"
        )
    if not np.issubdtype(index.dtype, np.integer) and index.size:
        raise ValueError(f"index must hold integers; got dtype {index.dtype}")
    if index.size and (index.min() < 0 or index.max() >= ny * nx):
        raise ValueError(
            f"index values must lie in [0, {ny * nx}) for shape {(ny, nx)}; "
            f"got range [{index.min()}, {index.max()}]"
        )
    lead = values.shape[:-1]
    out = np.full(lead + (ny * nx,), fill, dtype=np.result_type(values, fill))
    out[..., index.astype(np.int64)] = values
    return out.reshape(lead + (ny, nx))
