"""tecmodel.labelled builds the same arrays as xarray's constructor (checked with assert_identical)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from tecmodel.numerics.labelled import dataset, dimension_coordinate, labelled, like


def _coordinates():
    return xr.Dataset(
        coords={"year": np.arange(2026, 2031), "site": ["a", "b"], "sample": np.arange(3)}
    ).coords


def test_labelled_equals_the_constructor_for_values_and_variables():
    coords = _coordinates()
    values = np.arange(10.0).reshape(5, 2)
    expected = xr.DataArray(
        values,
        dims=("year", "site"),
        coords={"year": coords["year"], "site": coords["site"]},
        attrs={"units": "EUR"},
    )
    xr.testing.assert_identical(
        labelled(values, ("year", "site"), coords, attrs={"units": "EUR"}), expected
    )
    variable = xr.Variable(("year", "site"), values, attrs={"units": "EUR"})
    xr.testing.assert_identical(labelled(variable, None, coords), expected)
    # A dim without a coordinate stays unlabelled, as with the constructor, also when the
    # coordinates come from an array that has the dim without a coordinate.
    bare = labelled(np.zeros(4), ("tranche",), coords)
    xr.testing.assert_identical(bare, xr.DataArray(np.zeros(4), dims="tranche"))
    source = xr.DataArray(
        np.zeros((5, 3)), dims=("year", "sample"), coords={"year": coords["year"]}
    )
    shared = labelled(np.ones((5, 3)), ("year", "sample"), source.coords)
    xr.testing.assert_identical(
        shared,
        xr.DataArray(np.ones((5, 3)), dims=("year", "sample"), coords={"year": coords["year"]}),
    )
    assert shared.xindexes["year"] is source.xindexes["year"]


def test_labelled_shares_the_coordinate_objects():
    coords = _coordinates()
    array = labelled(np.zeros((5, 2)), ("year", "site"), coords)
    assert array.xindexes["year"] is coords.xindexes["year"]
    assert array["year"].variable is coords["year"].variable


def test_like_keeps_non_dimension_coordinates():
    template = xr.DataArray(
        np.zeros(3),
        dims="scenario",
        coords={"scenario": ["a", "b", "c"], "title": ("scenario", ["A", "B", "C"])},
        attrs={"units": "1"},
    )
    xr.testing.assert_identical(like(template, np.ones(3)), template.copy(data=np.ones(3)))
    plain = template.drop_vars("title")
    xr.testing.assert_identical(like(plain, np.ones(3)), plain.copy(data=np.ones(3)))


def test_dimension_coordinate_is_built_once_per_label_set():
    first = dimension_coordinate("site", ("a", "portfolio"))
    assert dimension_coordinate("site", ("a", "portfolio")) is first
    xr.testing.assert_identical(
        first,
        xr.DataArray(["a", "portfolio"], dims="site", coords={"site": ["a", "portfolio"]})["site"],
    )


def test_dataset_equals_the_constructor_and_aligns_when_it_must():
    coords = _coordinates()
    first = labelled(np.arange(5.0), ("year",), coords, attrs={"units": "EUR"})
    second = xr.DataArray(
        np.ones((5, 2)),
        dims=("year", "site"),
        coords={"year": np.arange(2026, 2031), "site": ["a", "b"]},
    )  # equal, not shared
    xr.testing.assert_identical(
        dataset({"first": first, "second": second}), xr.Dataset({"first": first, "second": second})
    )
    shifted = second.assign_coords(
        year=np.arange(2027, 2032)
    )  # other labels: xarray aligns (outer join)
    xr.testing.assert_identical(
        dataset({"first": first, "shifted": shifted}),
        xr.Dataset({"first": first, "shifted": shifted}),
    )
