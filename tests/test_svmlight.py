"""The svmlight loader: absent entries, groups, and errors that name the line."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.errors import HarnessError
from harness.workload.svmlight import load_svmlight
from tests.conftest import LTR_DIR, requires_ltr


@pytest.fixture()
def small_file(tmp_path):
    path = tmp_path / "small.svm"
    path.write_text("2 qid:1 1:0.5 3:1.25\n0 qid:1 2:0.75 # a comment\n\n1 qid:2 1:0.1\n")
    return path


def test_absent_entries_as_zero(small_file):
    data = load_svmlight(small_file, absent="zero")
    assert data.features.shape == (3, 3)
    assert data.features[0].tolist() == [0.5, 0.0, 1.25]
    assert data.labels.tolist() == [2, 0, 1]


def test_absent_entries_as_missing(small_file):
    data = load_svmlight(small_file, absent="missing")
    assert data.features[0, 0] == np.float32(0.5)
    assert math.isnan(data.features[0, 1])
    assert math.isnan(data.features[2, 2])


def test_explicit_zero_stays_zero(tmp_path):
    path = tmp_path / "zeros.svm"
    path.write_text("1 qid:1 1:0 2:0.5\n")
    data = load_svmlight(path, absent="missing")
    assert data.features[0, 0] == 0.0


def test_qid_column_gives_groups(small_file):
    assert load_svmlight(small_file).groups.tolist() == [2, 1]


def test_group_file_gives_groups(tmp_path):
    data_path = tmp_path / "rows.svm"
    data_path.write_text("1 1:1\n0 2:1\n0 1:3\n")
    groups_path = tmp_path / "rows.query"
    groups_path.write_text("1\n2\n")
    assert load_svmlight(data_path, groups_path).groups.tolist() == [1, 2]


def test_group_sizes_must_match_rows(tmp_path):
    data_path = tmp_path / "rows.svm"
    data_path.write_text("1 1:1\n0 2:1\n0 1:3\n")
    groups_path = tmp_path / "rows.query"
    groups_path.write_text("1\n1\n")
    with pytest.raises(HarnessError, match="group sizes add up to 2 but the data file has 3 rows"):
        load_svmlight(data_path, groups_path)


@pytest.mark.parametrize(
    "line, message",
    [
        ("1 qid:1 3:abc", r"feature value in '3:abc' is not a number"),
        ("1 qid:1 x:1.0", r"invalid feature index in 'x:1.0'"),
        ("1 qid:1 0:1.0", r"invalid feature index in '0:1.0'"),
        ("1 qid:1 4", r"malformed entry '4'"),
        ("high qid:1 1:1", r"label 'high' is not a number"),
        ("1.5 qid:1 1:1", r"label '1.5' is not a non-negative whole grade"),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.svm"
    path.write_text(f"0 qid:1 1:0.5\n{line}\n")
    with pytest.raises(HarnessError, match=rf"bad.svm:2: {message}"):
        load_svmlight(path)


def test_rows_without_groups_rejected(tmp_path):
    path = tmp_path / "nogroups.svm"
    path.write_text("1 1:1\n")
    with pytest.raises(HarnessError, match="no 'qid:' column and no group file"):
        load_svmlight(path)


def test_split_qid_rejected(tmp_path):
    path = tmp_path / "split.svm"
    path.write_text("1 qid:1 1:1\n1 qid:2 1:1\n1 qid:1 1:1\n")
    with pytest.raises(HarnessError, match="rows of qid 1 are not contiguous"):
        load_svmlight(path)


def test_missing_file_named(tmp_path):
    with pytest.raises(HarnessError, match="svmlight file not found"):
        load_svmlight(tmp_path / "absent.svm")


@requires_ltr
def test_lightgbm_sample_shape():
    data = load_svmlight(LTR_DIR / "rank.train", LTR_DIR / "rank.train.query", absent="zero")
    assert data.features.shape[0] == 3005
    assert data.features.shape[1] <= 300
    assert len(data.groups) == 201
    assert set(np.unique(data.labels)) <= {0, 1, 2, 3, 4}
