"""Event-log layer: the event log's vocabulary and columns (the model → metrics contract) and export.

No SimPy here: the metrics read this, whether the log was simulated or exported from a real tool.
"""

from simulator.eventlog.export import (
    EXPORT_FORMATS,
    PROCESS_MINING_NAMES,
    to_process_mining,
    write_events,
    write_xes,
)
from simulator.eventlog.log import ACTIVITIES, DUTY_COLUMNS, EVENT_COLUMNS, Activity, SimulationLog

__all__ = [
    "ACTIVITIES",
    "DUTY_COLUMNS",
    "EVENT_COLUMNS",
    "EXPORT_FORMATS",
    "PROCESS_MINING_NAMES",
    "Activity",
    "SimulationLog",
    "to_process_mining",
    "write_events",
    "write_xes",
]
