"""Read svmlight/LibSVM ranking data into a dense float32 matrix.

Each line is ``label [qid:Q] index:value ...`` with 1-based indices and an
optional ``# comment``. Query groups come from the ``qid`` column or from a
group file with one group size per line (the LightGBM ``.query`` layout).

An entry left out of a row means 0.0 (``absent="zero"``, the svmlight
convention) or an unknown value (``absent="missing"``, stored as NaN, which
tree models route down each split's default branch). The two give different
predictions, so the caller chooses, and every scorer is then fed the same
dense matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.errors import HarnessError


@dataclass(frozen=True)
class RankingData:
    """Labels, dense features and query group sizes of one file."""

    labels: np.ndarray  # (rows,) int32, graded relevance
    features: np.ndarray  # (rows, width) float32
    groups: np.ndarray  # (groups,) int64 sizes, in row order

    @property
    def group_offsets(self) -> np.ndarray:
        """Start row of each group, plus the total row count at the end."""
        return np.concatenate([[0], np.cumsum(self.groups)])


def load_svmlight(
    path: Path, groups_path: Path | None = None, absent: str = "zero", width: int | None = None
) -> RankingData:
    """Load one svmlight file and its query groups."""
    if absent not in ("zero", "missing"):
        raise HarnessError(f"invalid absent-entry meaning {absent!r}; use 'zero' or 'missing'")
    if not path.is_file():
        raise HarnessError(f"svmlight file not found: {path}; check the [ltr] paths in the scenario")

    labels, qids, rows = _parse_lines(path)
    max_index = max((max(r) for r in rows if r), default=0)
    width = width or max_index
    if max_index > width:
        raise HarnessError(
            f"{path}: feature index {max_index} exceeds the expected width {width}; "
            "load the training file first or check the data"
        )

    fill = 0.0 if absent == "zero" else np.nan
    features = np.full((len(rows), width), fill, dtype=np.float32)
    for i, row in enumerate(rows):
        if row:
            features[i, np.fromiter(row.keys(), dtype=np.int64) - 1] = np.fromiter(
                row.values(), dtype=np.float32
            )

    groups = _groups(path, groups_path, qids, len(rows))
    return RankingData(labels=np.array(labels, dtype=np.int32), features=features, groups=groups)


def _parse_lines(path: Path) -> tuple[list[int], list[str | None], list[dict[int, float]]]:
    labels: list[int] = []
    qids: list[str | None] = []
    rows: list[dict[int, float]] = []

    with path.open("r", encoding="utf-8", errors="strict") as handle:
        for number, line in enumerate(handle, start=1):
            body = line.split("#", 1)[0].strip()
            if not body:
                continue
            label, qid, row = _parse_line(body, path, number)
            labels.append(label)
            qids.append(qid)
            rows.append(row)

    if not rows:
        raise HarnessError(f"{path}: no data rows; check that the file is svmlight text")
    return labels, qids, rows


def _parse_line(body: str, path: Path, number: int) -> tuple[int, str | None, dict[int, float]]:
    tokens = body.split()
    label = _parse_label(tokens[0], path, number)
    qid = None
    row: dict[int, float] = {}

    for token in tokens[1:]:
        key, sep, value = token.partition(":")
        if not sep or not value:
            raise HarnessError(
                f"{path}:{number}: malformed entry {token!r}; expected 'index:value' or 'qid:ID'"
            )
        if key == "qid":
            qid = value
            continue
        row[_parse_index(key, token, path, number)] = _parse_value(value, token, path, number)
    return label, qid, row


def _parse_label(token: str, path: Path, number: int) -> int:
    try:
        value = float(token)
    except ValueError:
        raise HarnessError(f"{path}:{number}: label {token!r} is not a number; expected a grade such as 0-4") from None
    if value != int(value) or value < 0:
        raise HarnessError(f"{path}:{number}: label {token!r} is not a non-negative whole grade")
    return int(value)


def _parse_index(key: str, token: str, path: Path, number: int) -> int:
    if not key.isdigit() or int(key) < 1:
        raise HarnessError(f"{path}:{number}: invalid feature index in {token!r}; indices are whole numbers from 1")
    return int(key)


def _parse_value(value: str, token: str, path: Path, number: int) -> float:
    try:
        return float(value)
    except ValueError:
        raise HarnessError(f"{path}:{number}: feature value in {token!r} is not a number") from None


def _groups(path: Path, groups_path: Path | None, qids: list[str | None], rows: int) -> np.ndarray:
    if groups_path is not None:
        return _read_group_file(groups_path, rows)
    if all(q is None for q in qids):
        raise HarnessError(f"{path}: rows have no 'qid:' column and no group file was given; set the groups path")
    if any(q is None for q in qids):
        raise HarnessError(f"{path}: some rows have a 'qid:' column and some do not; give every row a qid")

    sizes, seen, previous = [], set(), object()
    for qid in qids:
        if qid != previous:
            if qid in seen:
                raise HarnessError(f"{path}: rows of qid {qid} are not contiguous; sort the file by qid")
            seen.add(qid)
            sizes.append(0)
            previous = qid
        sizes[-1] += 1
    return np.array(sizes, dtype=np.int64)


def _read_group_file(groups_path: Path, rows: int) -> np.ndarray:
    if not groups_path.is_file():
        raise HarnessError(f"group file not found: {groups_path}; check the [ltr] paths in the scenario")

    sizes = []
    for number, line in enumerate(groups_path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        if not line.strip().isdigit() or int(line) < 1:
            raise HarnessError(f"{groups_path}:{number}: group size {line.strip()!r} is not a positive whole number")
        sizes.append(int(line))

    if sum(sizes) != rows:
        raise HarnessError(
            f"{groups_path}: group sizes add up to {sum(sizes)} but the data file has {rows} rows; "
            "use the group file that belongs to this data file"
        )
    return np.array(sizes, dtype=np.int64)
