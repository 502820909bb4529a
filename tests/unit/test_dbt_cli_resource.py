"""tepat's dbt resource skips two per-invocation costs of dagster-dbt (issue 20) by overriding
two of its private methods; these tests notice when a dagster-dbt upgrade moves them."""

import inspect
import subprocess

from dagster_dbt import DbtCliResource
from dagster_dbt.core import resource as dagster_dbt_resource
from packaging import version

from orchestration.definitions import TepatDbtCli, _dbt_executable, dbt_cli


def test_dagster_dbt_still_calls_the_methods_tepat_overrides():
    cli = inspect.getsource(DbtCliResource.cli)
    assert "self._cli_version" in cli
    assert "self._initialize_dbt_core_adapter(" in cli
    assert type(inspect.getattr_static(DbtCliResource, "_cli_version")).__name__ == (
        "cached_property"
    )
    assert inspect.signature(DbtCliResource._initialize_dbt_core_adapter).parameters.keys() == {
        "self",
        "args",
    }


def test_the_version_is_the_one_dbt_reports_without_running_dbt(monkeypatch):
    reported = subprocess.check_output([_dbt_executable(), "--version"], text=True)
    resource = dbt_cli()

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"dbt was started to learn its version: {args}")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_subprocess)
    assert isinstance(resource, TepatDbtCli)
    assert str(resource._cli_version) in reported
    assert resource._cli_version == version.parse(str(resource._cli_version))


def test_a_dbt_elsewhere_is_asked_for_its_version(tmp_path):
    fake = tmp_path / "dbt"  # not beside this Python: its version cannot be assumed
    fake.write_text("#!/bin/sh\necho 'Core:\n  - installed: 9.8.7'\n")
    fake.chmod(0o755)
    resource = TepatDbtCli(project_dir=str(dbt_cli().project_dir), dbt_executable=str(fake))
    assert resource._cli_version == version.parse("9.8.7")


def test_no_adapter_is_built_in_the_dagster_process():
    assert dbt_cli()._initialize_dbt_core_adapter(["build"]) is None
