"""The synthetic marketplace: catalog, retailers, query trace and hidden labels.

Everything derives from ``WorkloadSpec.seed`` through named random streams,
so a change to one part (say, the trace length) leaves the others intact.

Labels are planted: a hidden score mixes category and brand match, the
retailer-product embedding affinity, a latent product quality, the query's
budget and modifier words, plus Gaussian noise, and is cut into grades 0-4.
The model gets most of these signals only through features, so NDCG@10
against the planted grades measures how well a configuration ranks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.scenario import WorkloadSpec

CATEGORIES = (
    "shoes", "jackets", "lamps", "chairs", "headphones", "watches", "backpacks", "mugs",
    "blenders", "tents", "bikes", "phones", "sofas", "rugs", "kettles", "toys",
)
MODIFIERS = (
    "red", "blue", "black", "white", "green", "leather", "wooden", "steel", "wireless",
    "compact", "vintage", "modern", "classic", "premium", "budget", "organic", "waterproof",
    "lightweight", "foldable", "portable", "ergonomic", "handmade", "smart", "silent",
    "fast", "large", "small", "kids", "outdoor", "indoor", "travel", "office", "gaming",
    "eco", "luxury", "sport", "cotton", "wool", "glass", "ceramic",
)
EMBEDDING_DIM = 16
BRAND_COUNT = 300
WORDS_PER_CATEGORY = 40
MODIFIER_SLOTS = 6  # modifier words per product: 2 in the title, 4 in the description
LATENT_DIM = 8

# Index of named columns in the stored product feature vector.
STORED_PRICE = EMBEDDING_DIM
STORED_LOG_PRICE = EMBEDDING_DIM + 1
STORED_CATEGORY = EMBEDDING_DIM + 2
STORED_BRAND = EMBEDDING_DIM + 3
STORED_RATING = EMBEDDING_DIM + 4
STORED_POPULARITY = EMBEDDING_DIM + 5
STORED_NAMED = EMBEDDING_DIM + 8  # columns before the generic latent-driven ones
# Columns that are never missing, because interaction features need them.
STORED_ALWAYS_PRESENT = STORED_RATING

# Grade cut points on the hidden relevance score; about 45% of candidates
# get grade 0 and 3-5% get grade 4 on the default scenario.
LABEL_CUTS = (1.4, 2.3, 3.0, 3.6)


@dataclass(frozen=True)
class Catalog:
    """Products: stored features plus the hidden facts labels are drawn from."""

    stored: np.ndarray  # (products, stored_features) float32, NaN = missing
    category: np.ndarray  # (products,) int32
    brand: np.ndarray  # (products,) int32
    modifiers: np.ndarray  # (products, MODIFIER_SLOTS) int16 modifier codes
    quality: np.ndarray  # (products,) float64, hidden from the model

    @property
    def size(self) -> int:
        return self.stored.shape[0]


@dataclass(frozen=True)
class Retailers:
    """Retailers: 20 features each, stored in Redis as one hash per retailer."""

    features: np.ndarray  # (retailers, 20) float32

    @property
    def embedding(self) -> np.ndarray:
        return self.features[:, :EMBEDDING_DIM]


@dataclass(frozen=True)
class QueryPool:
    """Distinct queries: their text and the parsed intent labels use."""

    texts: tuple[str, ...]
    category: np.ndarray  # (queries,) int32
    brand: np.ndarray  # (queries,) int32, -1 when no brand
    budget: np.ndarray  # (queries,) float64, NaN when no budget
    modifiers: np.ndarray  # (queries, 2) int16, -1 when absent
    popularity: np.ndarray  # (queries,) float64, log of expected requests per 1,000


@dataclass(frozen=True)
class Trace:
    """A sequence of requests: which query, from which retailer."""

    query: np.ndarray  # (requests,) int32 index into a QueryPool
    retailer: np.ndarray  # (requests,) int32


def stored_feature_names(count: int) -> list[str]:
    """Return the Redis field names of the stored product features."""
    names = [f"emb_{i:02d}" for i in range(EMBEDDING_DIM)]
    names += ["price", "log_price", "category", "brand", "rating", "popularity", "ctr", "conversion"]
    names += [f"feat_{i:03d}" for i in range(len(names), count)]
    return names


def retailer_feature_names() -> list[str]:
    """Return the Redis field names of a retailer's features."""
    return [f"retailer_emb_{i:02d}" for i in range(EMBEDDING_DIM)] + [
        "store_category", "mean_price", "tier", "region",
    ]


def stream(spec: WorkloadSpec, name: str) -> np.random.Generator:
    """Return the random stream for one named part of the workload."""
    tag = int.from_bytes(name.encode()[:8].ljust(8, b"\0"), "little")
    return np.random.default_rng([spec.seed, tag])


def brand_words() -> list[str]:
    """Return the brand tokens; fixed, so query parsing needs no catalog."""
    rng = np.random.default_rng(7)
    syllables = ["ka", "lo", "mi", "ra", "ve", "to", "zu", "ne", "sa", "po", "qui", "dre", "fa", "gi"]
    words, seen = [], set()
    while len(words) < BRAND_COUNT:
        word = "".join(rng.choice(syllables, size=3)) + "x"
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def category_words() -> list[list[str]]:
    """Return the specific vocabulary of each category."""
    return [[f"{name[:3]}{j:02d}q" for j in range(WORDS_PER_CATEGORY)] for name in CATEGORIES]


def generate_catalog(spec: WorkloadSpec) -> Catalog:
    """Generate the products' stored features and hidden facts."""
    rng = stream(spec, "catalog")
    n = spec.products

    category = rng.integers(0, len(CATEGORIES), size=n, dtype=np.int32)
    brand = rng.integers(0, BRAND_COUNT, size=n, dtype=np.int32)
    modifiers = rng.integers(0, len(MODIFIERS), size=(n, MODIFIER_SLOTS), dtype=np.int16)
    latent = rng.standard_normal((n, LATENT_DIM))
    quality = latent @ rng.standard_normal(LATENT_DIM) / np.sqrt(LATENT_DIM)

    stored = np.empty((n, spec.stored_features), dtype=np.float64)
    stored[:, :EMBEDDING_DIM] = rng.standard_normal((n, EMBEDDING_DIM))
    price = np.exp(rng.normal(3.0 + 0.15 * category, 0.6))
    stored[:, STORED_PRICE] = np.round(price, 2)
    stored[:, STORED_LOG_PRICE] = np.log(stored[:, STORED_PRICE])
    stored[:, STORED_CATEGORY] = category
    stored[:, STORED_BRAND] = brand
    stored[:, STORED_RATING] = np.clip(3.5 + 0.8 * quality + rng.normal(0, 0.4, n), 1, 5)
    stored[:, STORED_POPULARITY] = rng.pareto(1.5, n)
    stored[:, STORED_POPULARITY + 1] = 1 / (1 + np.exp(-(quality - 2 + rng.normal(0, 0.5, n))))
    stored[:, STORED_POPULARITY + 2] = stored[:, STORED_POPULARITY + 1] * rng.uniform(0.05, 0.3, n)

    # Generic features: noisy mixes of the latent factors, so some carry
    # signal about the hidden quality and most carry little.
    generic = spec.stored_features - STORED_NAMED
    mix = rng.standard_normal((LATENT_DIM, generic)) * rng.exponential(0.3, generic)
    stored[:, STORED_NAMED:] = latent @ mix + rng.standard_normal((n, generic))

    missing = rng.random((n, spec.stored_features)) < spec.missing_rate
    missing[:, :STORED_ALWAYS_PRESENT] = False
    stored[missing] = np.nan

    return Catalog(
        stored=stored.astype(np.float32),
        category=category,
        brand=brand,
        modifiers=modifiers,
        quality=quality,
    )


def generate_retailers(spec: WorkloadSpec) -> Retailers:
    """Generate the retailers' features."""
    rng = stream(spec, "retailer")
    r = spec.retailers
    features = np.empty((r, 20), dtype=np.float64)
    features[:, :EMBEDDING_DIM] = rng.standard_normal((r, EMBEDDING_DIM))
    features[:, 16] = rng.integers(0, len(CATEGORIES), r)
    features[:, 17] = np.round(np.exp(rng.normal(3.5, 0.5, r)), 2)
    features[:, 18] = rng.integers(1, 4, r)
    features[:, 19] = rng.integers(0, 8, r)
    return Retailers(features=features.astype(np.float32))


def generate_queries(spec: WorkloadSpec, count: int, stream_name: str) -> QueryPool:
    """Generate distinct query texts with a category word and modifiers."""
    rng = stream(spec, stream_name)
    brands = brand_words()

    texts, category, brand, budget, modifiers = [], [], [], [], []
    for _ in range(count):
        cat = int(rng.integers(len(CATEGORIES)))
        mods = rng.choice(len(MODIFIERS), size=int(rng.integers(1, 3)), replace=False)
        words = [MODIFIERS[m] for m in mods] + [CATEGORIES[cat]]

        chosen_brand = int(rng.integers(BRAND_COUNT)) if rng.random() < 0.3 else -1
        if chosen_brand >= 0:
            words.insert(0, brands[chosen_brand])
        chosen_budget = float(rng.choice([20, 30, 50, 80, 120, 200])) if rng.random() < 0.25 else np.nan
        if not np.isnan(chosen_budget):
            words += ["under", str(int(chosen_budget))]

        texts.append(" ".join(words))
        category.append(cat)
        brand.append(chosen_brand)
        budget.append(chosen_budget)
        modifiers.append(list(mods) + [-1] * (2 - len(mods)))

    popularity = np.log1p(1000 * zipf_weights(count, spec.zipf_exponent))
    return QueryPool(
        texts=tuple(texts),
        category=np.array(category, dtype=np.int32),
        brand=np.array(brand, dtype=np.int32),
        budget=np.array(budget, dtype=np.float64),
        modifiers=np.array(modifiers, dtype=np.int16),
        popularity=popularity,
    )


def zipf_weights(count: int, exponent: float) -> np.ndarray:
    """Return normalized Zipf weights for ranks 1..count."""
    weights = 1.0 / np.arange(1, count + 1) ** exponent
    return weights / weights.sum()


def generate_trace(spec: WorkloadSpec, queries: int, length: int, stream_name: str) -> Trace:
    """Draw requests with Zipf-distributed query and retailer popularity."""
    rng = stream(spec, stream_name)
    query = rng.choice(queries, size=length, p=zipf_weights(queries, spec.zipf_exponent))
    retailer = rng.choice(spec.retailers, size=length, p=zipf_weights(spec.retailers, 0.8))
    return Trace(query=query.astype(np.int32), retailer=retailer.astype(np.int32))


def product_texts(spec: WorkloadSpec, catalog: Catalog) -> tuple[list[str], list[str]]:
    """Generate title and description text for the retrieval index."""
    rng = stream(spec, "text")
    brands = brand_words()
    vocab = category_words()

    titles, descriptions = [], []
    for i in range(catalog.size):
        cat = int(catalog.category[i])
        mods = [MODIFIERS[m] for m in catalog.modifiers[i]]
        own = rng.choice(vocab[cat], size=12)
        other = rng.choice(vocab[int(rng.integers(len(CATEGORIES)))], size=4)
        titles.append(" ".join([brands[catalog.brand[i]], mods[0], mods[1], CATEGORIES[cat], *own[:2]]))
        descriptions.append(" ".join([CATEGORIES[cat], *mods[2:], *own[2:], *other]))
    return titles, descriptions


def plant_labels(
    spec: WorkloadSpec,
    catalog: Catalog,
    retailers: Retailers,
    queries: QueryPool,
    query_id: int,
    retailer_id: int,
    candidates: np.ndarray,
) -> np.ndarray:
    """Return graded labels (0-4) of candidates for one request."""
    cat_match = catalog.category[candidates] == queries.category[query_id]
    brand_match = catalog.brand[candidates] == queries.brand[query_id]

    product_emb = catalog.stored[candidates, :EMBEDDING_DIM].astype(np.float64)
    affinity = product_emb @ retailers.embedding[retailer_id].astype(np.float64) / 4.0

    budget = queries.budget[query_id]
    price = catalog.stored[candidates, STORED_PRICE]
    budget_ok = np.zeros(len(candidates)) if np.isnan(budget) else (price <= budget).astype(float)

    requested = queries.modifiers[query_id]
    requested = requested[requested >= 0]
    modifier_hits = np.isin(catalog.modifiers[candidates], requested).sum(axis=1)

    noise_rng = np.random.default_rng([spec.seed, 1 + query_id, 1 + retailer_id])
    noise = noise_rng.standard_normal(catalog.size)[candidates]

    score = (
        1.6 * cat_match
        + 1.0 * brand_match
        + 0.5 * affinity
        + 0.7 * catalog.quality[candidates]
        + 0.5 * budget_ok
        + 0.4 * modifier_hits
        + 0.8 * noise
    )
    return np.digitize(score, LABEL_CUTS).astype(np.int32)
