"""The static report: ``drawwatch report --out DIR`` and the daemon's ``--report-dir`` both call
:func:`write_report`.

Importing this package is cheap; matplotlib is imported only when a report is actually written.
"""

from __future__ import annotations

from drawwatch.report.build import ReportResult, write_report

__all__ = ["ReportResult", "write_report"]
