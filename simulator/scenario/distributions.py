"""Scenario layer: probability distributions of durations, written in user units.

Each distribution is a small immutable model whose parameters are durations
(stored in minutes) or plain shape numbers, chosen the way people describe the
quantity: resolution times as "median 4h, p90 2d" (lognormal), handling times
as "about 10 minutes, between 5 and 30" (triangular). A plain duration such as
``"10m"`` is shorthand for a fixed value.

Every distribution has a vectorised inverse distribution function
(:meth:`quantile`) and samples by inversion with a :class:`numpy.random.Generator`
passed in by the caller (the scientific-Python convention, SPEC 7); it never
owns or seeds a generator itself. Values are in minutes.
"""

from __future__ import annotations

import functools
import itertools
import math
from statistics import NormalDist
from types import ModuleType
from typing import Annotated, Literal, Self

import numpy as np
from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from simulator.scenario.types import Duration, PositiveDuration, PositiveNumber, Spec
from simulator.scenario.units import format_duration

__all__ = [
    "DISTRIBUTION_NAMES",
    "Distribution",
    "Empirical",
    "Exponential",
    "Fixed",
    "Gamma",
    "Lognormal",
    "Triangular",
    "Uniform",
    "Weibull",
]

_Z90 = NormalDist().inv_cdf(0.9)  # the standard normal's 90th percentile
_TAIL = 0.999999  # the quantile whose finiteness the schema checks
_Z_TAIL = NormalDist().inv_cdf(_TAIL)


@functools.cache
def _special() -> ModuleType:
    """``scipy.special``, imported when a distribution first needs it: loading a scenario (every
    command does) need not pay for importing SciPy."""
    from scipy import special

    return special


class _Base(Spec):
    def quantile(self, u: np.ndarray) -> np.ndarray:  # pragma: no cover
        """The inverse distribution function at probabilities ``u`` (minutes)."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` values in minutes, by inversion.

        Inversion (rather than NumPy's faster dedicated samplers) keeps common
        random numbers synchronised: the same uniform gives a larger value
        under a slower distribution, so comparisons of designs stay sharp.
        """
        return self.quantile(rng.random(size))

    def mean(self) -> float:  # pragma: no cover
        """The exact mean in minutes."""
        raise NotImplementedError


class Fixed(_Base):
    """Always the same value (for deterministic tests and tabletop timelines)."""

    dist: Literal["fixed"] = "fixed"  # the distribution's name
    value: Duration  # the value every draw takes

    def quantile(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value)

    def mean(self) -> float:
        return self.value

    @classmethod
    def of(cls, duration: str) -> Fixed:
        """A default such as ``Fixed.of("15m")`` (defaults are not validated, so build it here)."""
        return cls.model_validate({"value": duration})


class Exponential(_Base):
    """Memoryless durations with the given mean (M/M/c service and Poisson gaps)."""

    dist: Literal["exponential"] = "exponential"  # the distribution's name
    mean_: PositiveDuration = Field(alias="mean")  # the mean

    def quantile(self, u: np.ndarray) -> np.ndarray:
        return -self.mean_ * np.log1p(-np.asarray(u))

    def mean(self) -> float:
        return self.mean_


class Lognormal(_Base):
    """Heavy-tailed durations, given by ``mean`` and ``sd`` or by ``median`` and ``p90``."""

    dist: Literal["lognormal"] = "lognormal"  # the distribution's name
    mean_: PositiveDuration | None = Field(default=None, alias="mean")  # the mean (with sd)
    sd: PositiveDuration | None = None  # the standard deviation (with mean)
    median: PositiveDuration | None = None  # the median (with p90)
    p90: PositiveDuration | None = None  # the 90th percentile (with median)

    @model_validator(mode="after")
    def _one_pair(self) -> Self:
        by_moments = self.mean_ is not None and self.sd is not None
        by_quantiles = self.median is not None and self.p90 is not None
        given = [name for name in ("mean", "sd", "median", "p90")
                 if getattr(self, "mean_" if name == "mean" else name) is not None]
        if by_moments == by_quantiles or len(given) != 2:
            raise ValueError(f"expected either 'mean' and 'sd' or 'median' and 'p90'; found {given}")
        if by_quantiles and self.p90 is not None and self.median is not None and self.p90 <= self.median:
            raise ValueError(f"expected 'p90' greater than 'median'; found median "
                             f"{format_duration(self.median)}, p90 {format_duration(self.p90)}")
        return self

    def log_parameters(self) -> tuple[float, float]:
        """The mean and standard deviation of the logarithm (minutes)."""
        if self.median is not None and self.p90 is not None:
            mu = math.log(self.median)
            return mu, (math.log(self.p90) - mu) / _Z90
        assert self.mean_ is not None and self.sd is not None
        sigma2 = math.log1p((self.sd / self.mean_) ** 2)
        return math.log(self.mean_) - sigma2 / 2.0, math.sqrt(sigma2)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        mu, sigma = self.log_parameters()
        return np.exp(mu + sigma * _special().ndtri(u))

    def mean(self) -> float:
        mu, sigma = self.log_parameters()
        return math.exp(mu + sigma * sigma / 2.0)


class Gamma(_Base):
    """Gamma durations, given by ``shape`` and ``scale`` or by ``mean`` and ``sd``."""

    dist: Literal["gamma"] = "gamma"  # the distribution's name
    shape: PositiveNumber | None = None  # the shape (with scale)
    scale: PositiveDuration | None = None  # the scale (with shape)
    mean_: PositiveDuration | None = Field(default=None, alias="mean")  # the mean (with sd)
    sd: PositiveDuration | None = None  # the standard deviation (with mean)

    @model_validator(mode="after")
    def _one_pair(self) -> Self:
        by_shape = self.shape is not None and self.scale is not None
        by_moments = self.mean_ is not None and self.sd is not None
        given = sum(value is not None for value in (self.shape, self.scale, self.mean_, self.sd))
        if by_shape == by_moments or given != 2:
            names = [name for name, value in (("shape", self.shape), ("scale", self.scale),
                                              ("mean", self.mean_), ("sd", self.sd)) if value is not None]
            raise ValueError(f"expected either 'shape' and 'scale' or 'mean' and 'sd'; found {names}")
        return self

    def parameters(self) -> tuple[float, float]:
        """Shape and scale (minutes)."""
        if self.shape is not None and self.scale is not None:
            return self.shape, self.scale
        assert self.mean_ is not None and self.sd is not None
        return (self.mean_ / self.sd) ** 2, self.sd * self.sd / self.mean_

    def quantile(self, u: np.ndarray) -> np.ndarray:
        shape, scale = self.parameters()
        return scale * _special().gammaincinv(shape, u)

    def mean(self) -> float:
        shape, scale = self.parameters()
        return shape * scale


class Weibull(_Base):
    """Weibull durations: ``shape`` below 1 gives the long tail of hard tickets."""

    dist: Literal["weibull"] = "weibull"  # the distribution's name
    shape: PositiveNumber  # the shape
    scale: PositiveDuration  # the scale

    def quantile(self, u: np.ndarray) -> np.ndarray:
        return self.scale * (-np.log1p(-np.asarray(u))) ** (1.0 / self.shape)

    def mean(self) -> float:
        return self.scale * _special().gamma(1.0 + 1.0 / self.shape)


class Triangular(_Base):
    """Three-point estimate: shortest, most likely and longest."""

    dist: Literal["triangular"] = "triangular"  # the distribution's name
    min: Duration  # the smallest value
    mode: Duration  # the most likely value
    max: Duration  # the largest value

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.min <= self.mode <= self.max or self.min == self.max:
            raise ValueError(f"expected min <= mode <= max with min < max; found min "
                             f"{format_duration(self.min)}, mode {format_duration(self.mode)}, "
                             f"max {format_duration(self.max)}")
        return self

    def quantile(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        low, mode, high = self.min, self.mode, self.max
        split = (mode - low) / (high - low)
        rising = low + np.sqrt(u * (high - low) * (mode - low))
        falling = high - np.sqrt((1.0 - u) * (high - low) * (high - mode))
        return np.where(u < split, rising, falling)

    def mean(self) -> float:
        return (self.min + self.mode + self.max) / 3.0


class Uniform(_Base):
    """Any value between ``min`` and ``max`` equally likely."""

    dist: Literal["uniform"] = "uniform"  # the distribution's name
    min: Duration  # the smallest value
    max: Duration  # the largest value

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.min < self.max:
            raise ValueError(f"expected min < max; found min {format_duration(self.min)}, "
                             f"max {format_duration(self.max)}")
        return self

    def quantile(self, u: np.ndarray) -> np.ndarray:
        return self.min + np.asarray(u) * (self.max - self.min)

    def mean(self) -> float:
        return (self.min + self.max) / 2.0


def _quantile_keys(table: object) -> object:
    # YAML gives {0: ..., 0.5: ...} with numeric keys; keep them as floats.
    if isinstance(table, dict):
        return {float(key) if isinstance(key, int | float) else key: value
                for key, value in table.items()}
    return table


class Empirical(_Base):
    """Observed values resampled with equal weight, or a quantile table interpolated linearly."""

    dist: Literal["empirical"] = "empirical"  # the distribution's name
    values: tuple[Duration, ...] | None = None  # observed values, drawn with equal weight
    # or: probability → value, from 0 to 1, interpolated
    quantiles: Annotated[dict[float, Duration] | None, BeforeValidator(_quantile_keys)] = None

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        if (self.values is None) == (self.quantiles is None):
            found = "both" if self.values is not None else "neither"
            raise ValueError(f"expected either 'values' or 'quantiles'; found {found}")
        if self.values is not None and len(self.values) == 0:
            raise ValueError("expected at least one value; found none")
        if self.quantiles is not None:
            levels = sorted(self.quantiles)
            if len(levels) < 2 or levels[0] != 0.0 or levels[-1] != 1.0:
                raise ValueError(f"expected quantile levels from 0 to 1, including both ends; "
                                 f"found {levels}")
            points = [self.quantiles[level] for level in levels]
            if any(later < earlier for earlier, later in itertools.pairwise(points)):
                raise ValueError(f"expected quantile values that never decrease; found "
                                 f"{[format_duration(point) for point in points]}")
        return self

    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        assert self.quantiles is not None
        levels = np.array(sorted(self.quantiles))
        return levels, np.array([self.quantiles[level] for level in levels])

    def quantile(self, u: np.ndarray) -> np.ndarray:
        if self.values is not None:  # each observed value equally likely, in sorted order
            ordered = np.sort(np.asarray(self.values))
            index = np.minimum((np.asarray(u) * len(ordered)).astype(int), len(ordered) - 1)
            return ordered[index]
        levels, points = self._table()
        return np.interp(u, levels, points)

    def mean(self) -> float:
        if self.values is not None:
            return float(np.mean(self.values))
        levels, points = self._table()
        return float(np.sum(np.diff(levels) * (points[1:] + points[:-1]) / 2.0))


def _finite(distribution: _Base) -> _Base:
    with np.errstate(all="ignore"):  # overflow is exactly what this check reports
        if isinstance(distribution, Lognormal):  # the standard library's normal quantile, not
            # SciPy's (the same but for the last bit): loading a scenario need not import SciPy
            mu, sigma = distribution.log_parameters()
            tail = np.exp(mu + sigma * np.array([0.0, _Z_TAIL]))
        else:
            tail = distribution.quantile(np.array([0.5, _TAIL]))
        mean = distribution.mean()
    if not np.all(np.isfinite(tail)) or not mean < 1e9:
        raise ValueError(f"expected parameters that give finite durations; found a median of "
                         f"{tail[0]:.4g} and a 99.9999th percentile of {tail[1]:.4g} minutes")
    return distribution


def _shorthand(value: object) -> object:
    # "10m" is the same as {dist: fixed, value: 10m}.
    return {"dist": "fixed", "value": value} if isinstance(value, str) else value


_Tagged = Annotated[Fixed | Exponential | Lognormal | Gamma | Weibull | Triangular | Uniform | Empirical,
                    Field(discriminator="dist")]
#: The names that ``dist:`` accepts.
DISTRIBUTION_NAMES = ("fixed", "exponential", "lognormal", "gamma", "weibull", "triangular",
                      "uniform", "empirical")
#: Any distribution of durations; the ``dist`` key says which (a plain duration means fixed).
Distribution = Annotated[_Tagged, BeforeValidator(_shorthand, json_schema_input_type=str | _Tagged),
                         AfterValidator(_finite)]
