"""Scenario layer: what downtime costs, and what running the major-incident process costs.

**Downtime** (``services.NAME.downtime_cost``) is a cost per minute, or one that depends on
when the service is down and for how long::

    downtime_cost: 5600                      # per minute, at any hour
    downtime_cost:
      calendar: business                     # the hours business_hours applies to
      business_hours: {min: 300, mode: 600, max: 1200, source: "..."}
      out_of_hours: 80                       # the rest of the week (default: as in business hours)
      ramp: {after: 4h, extra_per_minute: 200}   # each minute of one outage past 4 h costs more
    downtime_cost:
      business_hours:                        # or built from what the outage stops:
        share_blocked: 0.5                   #   share of the users' work it blocks,
        loaded_hourly_cost: 45               #   a user's hour, fully loaded,
        revenue_at_risk_per_minute: 100      #   revenue lost for good per minute
        # users: 5000                        #   (default: the service's users)

A rate built from parts is ``users × share_blocked × loaded_hourly_cost / 60 +
revenue_at_risk_per_minute`` per minute.

**The process** (``major_incident.costs``) costs more than the staff time the simulation
measures (bridges, overtime): a one-off implementation, tooling, training, the major
incident manager role and anything else per year. It counts only while the process is
enabled, so a twin that switches the process off costs nothing for it.

Every amount is :data:`~simulator.scenario.estimates.Money`: a number, or a range with its
source.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Discriminator, Tag

from simulator.scenario.calendars import ALWAYS_OPEN
from simulator.scenario.estimates import Money, Share
from simulator.scenario.types import PositiveCount, PositiveDuration, Spec, problem

__all__ = ["DowntimeCost", "DowntimeCostField", "ManagerRole", "ProcessCosts", "Ramp", "Rate",
           "RateParts", "Training", "per_minute"]

_ESTIMATE_KEYS = {"min", "mode", "max", "dist", "source", "value"}


class RateParts(Spec):
    """A cost per minute built from the work and the revenue an outage stops."""

    users: PositiveCount | None = None  # users affected (default: the service's users)
    share_blocked: Share  # of their work the outage blocks
    loaded_hourly_cost: Money  # one hour of a user's time, fully loaded
    revenue_at_risk_per_minute: Money = 0.0  # revenue lost for good (not made up later)


def _rate_kind(value: Any) -> str:
    if isinstance(value, RateParts):
        return "parts"
    if isinstance(value, Mapping) and not set(value) & _ESTIMATE_KEYS:
        return "parts"
    return "amount"


#: A cost per minute: an amount (or a range), or built from parts.
Rate = Annotated[Annotated[Money, Tag("amount")] | Annotated[RateParts, Tag("parts")],
                 Discriminator(_rate_kind)]


def per_minute(rate: float | RateParts, users: int) -> float:
    """The cost per minute of a rate (``users``: the service's, where the parts name none)."""
    if isinstance(rate, RateParts):
        affected = rate.users if rate.users is not None else users
        return (affected * rate.share_blocked * rate.loaded_hourly_cost / 60.0
                + rate.revenue_at_risk_per_minute)
    return float(rate)


class Ramp(Spec):
    """Outages longer than ``after`` cost more per minute from then on (SLA credits, churn)."""

    after: PositiveDuration  # an outage longer than this (e.g. "4h") ...
    extra_per_minute: Money  # ... costs this much more for each further minute


class DowntimeCost(Spec):
    """What a minute of a service's outage costs, by the hour of the week and the outage's length."""

    calendar: str = ALWAYS_OPEN  # when business_hours applies (24x7: always)
    business_hours: Rate = 0.0
    out_of_hours: Rate | None = None  # None: as in business hours
    ramp: Ramp | None = None

    def rates(self, users: int) -> tuple[float, float, float]:
        """Per minute: in business hours, out of hours, and the ramp's extra (0 without one)."""
        business = per_minute(self.business_hours, users)
        off = business if self.out_of_hours is None else per_minute(self.out_of_hours, users)
        return business, off, 0.0 if self.ramp is None else float(self.ramp.extra_per_minute)


def _cost_kind(value: Any) -> str:
    if isinstance(value, DowntimeCost):
        return "detailed"
    if isinstance(value, Mapping) and not set(value) & _ESTIMATE_KEYS:
        return "detailed"
    return "flat"


def _one_form(value: Any) -> Any:
    """A cost per minute, or the detailed form — not a mix (an ``extends:`` merges mappings key
    by key, so a range written over a detailed cost would otherwise mix them)."""
    if isinstance(value, Mapping):
        detailed = set(value) & set(DowntimeCost.model_fields)
        if detailed and set(value) & _ESTIMATE_KEYS:
            raise problem("downtime_cost", f"expected either a cost per minute (a number, or a "
                                           f"range with min, mode, max) or the keys calendar, "
                                           f"business_hours, out_of_hours and ramp; found both "
                                           f"({', '.join(sorted(map(str, value)))}) — where a "
                                           f"file extends another, write the whole downtime_cost "
                                           f"as business_hours")
    return value


def _detailed(value: float | DowntimeCost) -> DowntimeCost:
    """A bare amount (or an amount's range) is the cost per minute at any hour."""
    return value if isinstance(value, DowntimeCost) else DowntimeCost(business_hours=value)


#: ``downtime_cost`` as a scenario field: a bare amount is the same cost at every hour (read as
#: a union, so a mistake in either form is reported at the key the user wrote).
if TYPE_CHECKING:
    DowntimeCostField = DowntimeCost
else:
    DowntimeCostField = Annotated[
        Annotated[Annotated[Money, Tag("flat")] | Annotated[DowntimeCost, Tag("detailed")],
                  Discriminator(_cost_kind)], BeforeValidator(_one_form), AfterValidator(_detailed)]


class Training(Spec):
    """Training for the process: people × hours each per year × their hourly cost."""

    people: Money  # how many are trained (a count; a range is allowed)
    hours_per_person_per_year: Money  # courses and drills
    hourly_cost: Money  # of the people trained, fully loaded

    def per_year(self) -> float:
        """What training costs a year."""
        return self.people * self.hours_per_person_per_year * self.hourly_cost


class ManagerRole(Spec):
    """The major incident manager role besides its time on bridges (which is simulated)."""

    on_call_allowance_per_year: Money = 0.0  # standby pay for the out-of-hours rota
    hours_per_week: Money = 0.0  # reviews, reporting, drills, process ownership
    hourly_cost: Money = 0.0  # of the managers' time

    def per_year(self) -> float:
        """What the role costs a year, besides bridges."""
        return self.on_call_allowance_per_year + 52.0 * self.hours_per_week * self.hourly_cost


class ProcessCosts(Spec):
    """What running the process costs, besides the staff time the simulation measures."""

    implementation: Money = 0.0  # one-off: process design, tool set-up, consultancy
    tooling_per_year: Money = 0.0  # licences: paging, status page, bridge tooling
    training: Training | None = None
    manager_role: ManagerRole | None = None
    other_per_year: Money = 0.0  # anything else the process costs each year

    def per_year(self) -> float:
        """The recurring cost per year."""
        return (self.tooling_per_year + self.other_per_year
                + (0.0 if self.training is None else self.training.per_year())
                + (0.0 if self.manager_role is None else self.manager_role.per_year()))
