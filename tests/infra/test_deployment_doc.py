"""docs/deployment.md's commands match the Bicep parameters and outputs."""

from __future__ import annotations

import re

from tests.infra import bicep

DOC = bicep.REPO / "docs" / "deployment.md"
# Set by `azd env new` (the name) or by azd itself, never by hand.
SET_BY_AZD = {"AZURE_ENV_NAME"}


def commands() -> str:
    """Return the text of the guide's code blocks."""
    text = DOC.read_text(encoding="utf-8")
    return "\n".join(re.findall(r"```(?:sh|powershell)\n(.*?)```", text, re.DOTALL))


def test_the_param_file_covers_every_parameter() -> None:
    """main.bicepparam gives a value to each parameter of main.bicep."""
    declared = bicep.parameters()
    given = bicep.environment_parameters()

    assert set(given) == set(declared)


def test_every_variable_the_guide_sets_is_a_parameter() -> None:
    """`azd env set NAME` names a variable that main.bicepparam reads."""
    read = {variable for variable, _ in bicep.environment_parameters().values()}

    set_by_guide = set(re.findall(r"azd env set (\w+)", DOC.read_text("utf-8")))

    assert set_by_guide and set_by_guide - read == set()


def test_the_guide_sets_every_variable_without_a_fallback() -> None:
    """A parameter with no default cannot be left out by following the guide."""
    required = {
        variable
        for variable, has_fallback in bicep.environment_parameters().values()
        if not has_fallback
    }

    set_by_guide = set(re.findall(r"azd env set (\w+)", commands()))

    assert required - SET_BY_AZD - set_by_guide == set()


def test_every_value_the_guide_reads_is_an_output() -> None:
    """`azd env get-value NAME` names an output of main.bicep."""
    read = set(re.findall(r"azd env get-value (\w+)", DOC.read_text("utf-8")))

    assert read and read - bicep.outputs() == set()


def test_the_webhook_outputs_are_documented() -> None:
    """Each URL the deployment outputs is explained in the guide."""
    urls = {name for name in bicep.outputs() if name.endswith("_URL")}

    assert urls and all(f"`{name}`" in DOC.read_text("utf-8") for name in urls)
