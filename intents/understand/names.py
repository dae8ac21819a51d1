"""Matching a name as written to the business's customers and products.

`match_customer("Ramesh", ["Ramesh Kumar", "Suresh"]) == ["Ramesh Kumar"]`;
with two Rameshes both come back and the agent asks which. Small typos are
tolerated ("Mahes" -> "Mahesh Gupta"). Products match the same way, singular
and plural alike ("tubelights" -> "tube light").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from rapidfuzz import fuzz

from intents.understand.units import singularize

_HONORIFICS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "shri",
        "sri",
        "smt",
        "kumari",
        "ji",
        "bhai",
        "bhaiya",
        "bhaisaab",
        "saab",
        "sahab",
        "saheb",
        "sir",
        "madam",
        "mam",
        "maam",
        "didi",
        "aunty",
        "auntie",
        "uncle",
        "behen",
        "seth",
        "sethji",
    }
)
_FUZZY_CUTOFF = 80.0
_TIE_MARGIN = 3.0


def _tokens(name: str) -> list[str]:
    """Lowercase words of a name, honorifics and punctuation dropped."""
    words = re.findall(r"[^\W_]+", name.lower())
    kept = [w for w in words if w not in _HONORIFICS]
    return kept or words


def _dedupe(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for n in names:
        if n not in seen:
            seen.add(n)
            out.append(n)
    return out


def match_customer(name: str, candidates: Iterable[str]) -> list[str]:
    """Customers that `name` may mean, best first; [] when none is close.

    Exact (case-insensitive) wins outright. Otherwise every candidate whose
    words contain all of the written words (a first name, a surname, "Ramesh
    K") is returned; failing that, the closest fuzzy matches.
    """
    cands = _dedupe(c for c in candidates if c and c.strip())
    q = _tokens(name or "")
    if not q or not cands:
        return []
    key = " ".join(q)
    exact = [c for c in cands if " ".join(_tokens(c)) == key]
    if exact:
        return exact[:1] if len(exact) == 1 else exact

    # every written word is a word of the candidate (then: an initial, or a prefix of 3+ letters)
    def covers(c: str, loose: bool) -> bool:
        ct = _tokens(c)
        return all(
            any(
                t == w or (loose and ((len(w) >= 3 and t.startswith(w)) or (len(w) == 1 and t[0] == w)))
                for t in ct
            )
            for w in q
        )

    for loose in (False, True):
        partial = [c for c in cands if covers(c, loose)]
        if partial:
            # a first-name hit ranks before a surname hit; otherwise keep the given order
            partial.sort(key=lambda c: 0 if _tokens(c)[0] == q[0] else 1)
            return partial
    return _fuzzy(key, cands, lambda c: " ".join(_tokens(c)))


def _fuzzy(key: str, cands: list[str], norm: Callable[[str], str]) -> list[str]:
    """Closest candidates by whole-name and first-word similarity, ties kept."""
    scored: list[tuple[float, str]] = []
    for c in cands:
        full = norm(c)
        first = full.split(" ")[0] if full else full
        nospace = full.replace(" ", "")
        score = max(
            fuzz.ratio(key, full),
            fuzz.ratio(key, first) if " " not in key else 0.0,
            fuzz.ratio(key.replace(" ", ""), nospace),
        )
        if score >= _FUZZY_CUTOFF:
            scored.append((score, c))
    if not scored:
        return []
    scored.sort(key=lambda x: -x[0])
    top = scored[0][0]
    return [c for s, c in scored if s >= top - _TIE_MARGIN]


def _product_key(name: str) -> str:
    words = re.findall(r"[^\W_]+", name.lower())
    return singularize(" ".join(words)) if words else ""


def match_product(name: str, candidates: Iterable[str]) -> list[str]:
    """Products that `name` may mean, best first; [] when none is close.

    Case, plural and spacing do not matter ("Tube Lights", "tubelight" ->
    "tube light"); a one-word name also finds products that contain it
    ("cement" -> "cement ppc" when that is the only cement).
    """
    cands = _dedupe(c for c in candidates if c and c.strip())
    key = _product_key(name or "")
    if not key or not cands:
        return []
    exact = [
        c for c in cands if _product_key(c) == key or _product_key(c).replace(" ", "") == key.replace(" ", "")
    ]
    if exact:
        return exact
    words = key.split(" ")
    contains = [c for c in cands if all(w in _product_key(c).split(" ") for w in words)]
    if contains:
        return sorted(contains, key=len)
    return _fuzzy(key, cands, _product_key)
