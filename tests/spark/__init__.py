"""Tests that run Apache Spark for real (`make test-spark`): the .[spark] extra and Java 17."""
