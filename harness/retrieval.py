"""First-stage retrieval: BM25 over a Tantivy index, or fixed candidate lists.

Both retrievers return candidate product ids (int64) and their retrieval
scores (float64), best first.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import tantivy

from harness.errors import HarnessError
from harness.workload.base import Request

log = logging.getLogger(__name__)

# Bytes of indexing memory for Tantivy's single writer thread; one thread
# keeps one segment, so a hit's doc id equals the product id.
_WRITER_HEAP = 256 * 1024 * 1024


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("title", stored=False)
    builder.add_text_field("description", stored=False)
    builder.add_integer_field("product_id", stored=True, fast=True)
    return builder.build()


def build_index(folder: Path, titles: list[str], descriptions: list[str], progress=None) -> None:
    """Write a BM25 index of the catalog text into ``folder``."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)

    index = tantivy.Index(_schema(), path=str(folder))
    writer = index.writer(heap_size=_WRITER_HEAP, num_threads=1)
    for product_id, (title, description) in enumerate(zip(titles, descriptions)):
        writer.add_document(tantivy.Document(title=title, description=description, product_id=product_id))
        if progress is not None and product_id % 1000 == 0:
            progress(product_id)
    writer.commit()
    writer.wait_merging_threads()


class TantivyRetriever:
    """BM25 top-N over product titles and descriptions."""

    def __init__(self, folder: Path):
        self.index = tantivy.Index.open(str(folder))
        self.index.reload()
        self.searcher = self.index.searcher()
        self._check_doc_ids()

    def _check_doc_ids(self) -> None:
        # Hits carry doc addresses; reading the stored id of each would cost
        # a document fetch per candidate. One segment in insertion order
        # makes the doc id the product id, which this spot check confirms.
        if self.searcher.num_segments != 1:
            raise HarnessError(
                f"retrieval index has {self.searcher.num_segments} segments, expected 1; "
                "delete the artifact cache folder and run 'rerank-bench build' again"
            )
        query = self.index.parse_query("*", [])  # all documents
        for _, address in self.searcher.search(query, 5).hits:
            if self.searcher.doc(address)["product_id"][0] != address.doc:
                raise HarnessError("retrieval index doc ids do not match product ids; rebuild the artifacts")

    def search(self, request: Request, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the top ``limit`` product ids and BM25 scores."""
        query, _errors = self.index.parse_query_lenient(request.query_text, ["title", "description"])
        hits = self.searcher.search(query, limit, count=False).hits
        ids = np.fromiter((address.doc for _, address in hits), dtype=np.int64, count=len(hits))
        scores = np.fromiter((score for score, _ in hits), dtype=np.float64, count=len(hits))
        return ids, scores


class GroupRetriever:
    """Fixed candidate lists per query group, for learning-to-rank data."""

    def __init__(self, candidates: np.ndarray, scores: np.ndarray):
        self.candidates = candidates
        self.scores = scores

    def search(self, request: Request, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the group's candidates and retrieval scores, best first."""
        return self.candidates[request.query_id, :limit], self.scores[request.query_id, :limit]
