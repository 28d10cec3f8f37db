"""Experiment layer: Student's t quantile, for the confidence intervals of replications.

``scipy.special.stdtrit`` is what ``scipy.stats.t.ppf`` computes (``t.ppf(q, df)`` is
``stdtrit(df, q)``, the same float to the last bit), without importing ``scipy.stats``, which
costs several times a whole ``mimsim run``'s start-up otherwise.
"""

from __future__ import annotations

import functools

from scipy import special

__all__ = ["t_quantile"]


@functools.lru_cache(maxsize=1024)
def t_quantile(probability: float, degrees_of_freedom: int) -> float:
    """The ``probability`` quantile of Student's t with ``degrees_of_freedom``, computed once per
    pair: a summary asks for the same few thousands of times."""
    return float(special.stdtrit(degrees_of_freedom, probability))
