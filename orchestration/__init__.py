"""tepat: the nightly poverty-targeting warehouse (README, docs/DESIGN.md)."""

import warnings

# With the .[spark] extra installed, Great Expectations imports pyspark, which warns on every
# import that it "does not yet fully support pandas >= 3.0.0". tepat never hands pandas
# frames to Spark (dbt-spark sends SQL; the gates read DuckDB), so the warning says nothing
# about a tepat night and would only stand between a planner and the night's progress.
warnings.filterwarnings(
    "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
)
