"""Plan-target forecasting: data, targets, scenarios, probabilities, charts and the CLI."""

__version__ = "0.1.0"
