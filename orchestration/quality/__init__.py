"""Quality gates: Great Expectations suites in expectations/, run as blocking Dagster checks."""
