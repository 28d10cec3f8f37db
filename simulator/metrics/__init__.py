"""Metrics layer: per-incident table and KPIs, pure functions of the event and duty logs (no SimPy)."""

from simulator.metrics.coded import CodedLog, encode
from simulator.metrics.incidents import KpiContext, PriorityTargets, incident_table
from simulator.metrics.kpis import KPI_COLUMNS, SHARE_KPIS, incident_kpis, kpi_range, replication_kpis
from simulator.metrics.series import backlog_series
from simulator.metrics.teams import team_measures, work_sessions

__all__ = [
    "KPI_COLUMNS",
    "SHARE_KPIS",
    "CodedLog",
    "KpiContext",
    "PriorityTargets",
    "backlog_series",
    "encode",
    "incident_kpis",
    "incident_table",
    "kpi_range",
    "replication_kpis",
    "team_measures",
    "work_sessions",
]
