"""Plates that hold the pixels of an image: declaration checks and the image <-> vector maps."""

import numpy as np
import pytest

import pgmsim as pg


def test_shape_sets_the_size_and_the_mask_keeps_pixels_in_c_order():
    m = pg.Model()
    assert m.plate("full", shape=(3, 4)).size == 12
    keep = np.array([[True, False, True], [False, True, True]])
    plate = m.plate("masked", shape=(2, 3), mask=keep)
    assert plate.size == 4
    np.testing.assert_array_equal(plate.pixel_index, [0, 2, 4, 5])
    image = plate.image([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(np.isnan(image), ~keep)
    np.testing.assert_array_equal(image[keep], [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(plate.vector(image), [1.0, 2.0, 3.0, 4.0])
    keep[0, 0] = False  # the plate keeps its own copy of the mask
    assert plate.size == 4 and plate.mask[0, 0]


def test_batches_keep_their_leading_axes():
    m = pg.Model()
    m.plate("pixels", shape=(2, 3))
    values = np.arange(24).reshape(4, 6)
    images = m.image(values, fill=0)
    assert images.shape == (4, 2, 3) and images.dtype == values.dtype
    np.testing.assert_array_equal(images[2], values[2].reshape(2, 3))
    np.testing.assert_array_equal(m.plates["pixels"].vector(images), values)


def test_nodes_on_an_image_plate_must_have_its_size():
    m = pg.Model()
    m.plate("pixels", shape=(2, 2), mask=np.array([[True, True], [False, True]]))
    m.fixed("ex", plate="pixels")
    assert m.plate_sizes({"ex": np.ones(3)}) == {"pixels": 3}
    with pytest.raises(ValueError, match="length 4 but plate 'pixels' has size 3"):
        m.plate_sizes({"ex": np.ones(4)})


@pytest.mark.parametrize("options, message", [
    ({"shape": (2, 3), "size": 5}, r"plate 'p': size 5 disagrees with the 6 pixels"),
    ({"shape": (2, 3), "size": 6, "mask": np.eye(2, 3, dtype=bool)},
     r"plate 'p': size 6 disagrees with the 2 pixels .* and mask"),
    ({"shape": (2, 0)}, r"plate 'p': shape must be two positive integers"),
    ({"shape": (2, 3, 4)}, r"plate 'p': shape must be two positive integers"),
    ({"shape": (2.5, 3)}, r"plate 'p': shape must be two positive integers"),
    ({"shape": 6}, r"plate 'p': shape must be two positive integers"),
    ({"shape": (2, 3), "mask": np.ones((3, 2), bool)}, r"plate 'p': mask must be a boolean image of shape \(2, 3\)"),
    ({"shape": (2, 3), "mask": np.ones((2, 3))}, r"plate 'p': mask must be a boolean image"),
    ({"shape": (2, 3), "mask": np.zeros((2, 3), bool)}, r"plate 'p': the mask keeps no pixel"),
    ({"mask": np.ones((2, 3), bool)}, r"plate 'p': a mask needs the image shape"),
])
def test_bad_image_plates_are_refused_naming_the_plate(options, message):
    m = pg.Model()
    with pytest.raises(pg.ModelError, match=message):
        m.plate("p", **options)
    assert "p" not in m.plates


def test_image_needs_an_image_plate():
    m = pg.Model("plain")
    m.fixed("t", plate="obs")
    with pytest.raises(ValueError, match="no plate with an image shape"):
        m.image(np.zeros(3))
    with pytest.raises(ValueError, match="plate 'obs' has no image shape"):
        m.image(np.zeros(3), plate="obs")
    m.plate("a", shape=(1, 3))
    m.plate("b", shape=(3, 1))
    with pytest.raises(ValueError, match="2 plates with an image shape .*plate="):
        m.image(np.zeros(3))
    with pytest.raises(ValueError, match="plate 'a' has 3 elements but the values have shape"):
        m.image(np.zeros(4), plate="a")
    with pytest.raises(ValueError, match=r"end with the plate's shape \(1, 3\)"):
        m.plates["a"].vector(np.zeros((3, 1)))
