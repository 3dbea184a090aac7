"""Words of the scores: the county scorecard (`forecast county`) and the backtest (`forecast backtest`)."""

SCORE_TEXT: dict[str, tuple[str, str]] = {}
"""Score phrase key -> (Chinese, English), with ``{placeholders}`` filled by `Labels.text`."""
