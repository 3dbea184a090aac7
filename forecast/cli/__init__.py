"""The `forecast` command line: one sub-command per verb; bodies load, call, write.

Bad input (a missing or malformed file, an unknown region or target) is printed as a
list of problems naming the file, the place and the fix, with exit code 2; nothing is
written. The commands live in `trend` (run, fit, backtest, audit), `ladder` (compare,
explain, calibrate), `records` (targets, check, data, county, runs), `report` (report) and `update`;
`common` holds
the app, the options and the helpers they share.
"""

# isort: off
# importing the modules registers their commands, in the order `forecast --help` lists them
from forecast.cli import trend, ladder, records, report, update  # noqa: F401
from forecast.cli.common import app

# isort: on

__all__ = ["app"]

if __name__ == "__main__":
    app()
