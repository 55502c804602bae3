"""sheetkit: self-assessment workbooks for commissioning frameworks, built and compiled.

The library face: each command of the command line is one function here, taking an options
object and returning a result with ``to_dict()``, ``render()`` and ``exit_code``; and
:func:`read_responses` gives an analyst every answer as a typed table::

    from pathlib import Path
    import sheetkit
    framework = sheetkit.load_framework("lga-cbo")
    people = sheetkit.load_respondents("samples/respondents.csv").people
    built = sheetkit.build_workbooks(framework, people, sheetkit.BuildOptions(out_dir=Path("out")))
    report = sheetkit.validate_returns(["returns/"], sheetkit.IngestOptions(manifest="out/manifest.csv"))
    responses = sheetkit.read_responses("consolidated.xlsx")  # a pandas DataFrame, with sheetkit[analysis]

Names are imported when first used, so ``import sheetkit`` stays quick (and the command line
handles Ctrl-C from its first moment).
"""

from importlib import import_module

# name -> the package face it comes from (each package's __init__ names what may be used)
_FACE = {
    "load_framework": "sheetkit.framework:resolve_framework",
    "list_frameworks": "sheetkit.framework:list_frameworks",
    "Framework": "sheetkit.framework:Framework",
    "Respondent": "sheetkit.roster:Respondent",
    "load_respondents": "sheetkit.roster:load_respondents",
    "read_manifest": "sheetkit.roster:read_manifest",
    "BuildOptions": "sheetkit.commands:BuildOptions",
    "BuildResult": "sheetkit.commands:BuildResult",
    "build_workbooks": "sheetkit.commands:build_workbooks",
    "CheckOptions": "sheetkit.returns:CheckOptions",
    "IngestOptions": "sheetkit.commands:IngestOptions",
    "IngestReport": "sheetkit.returns:IngestReport",
    "validate_returns": "sheetkit.returns:validate_returns",
    "ingest_returns": "sheetkit.commands:ingest_returns",
    "ChaseOptions": "sheetkit.commands:ChaseOptions",
    "ChaseResult": "sheetkit.commands:ChaseResult",
    "chase": "sheetkit.commands:chase",
    "load_previous": "sheetkit.rounds:load_previous",
    "read_responses": "sheetkit.rounds:read_responses",
    "AgreementRule": "sheetkit.consolidate:AgreementRule",
    "Finding": "sheetkit.common:Finding",
    "CATALOGUE": "sheetkit.common:CATALOGUE",
    "SheetkitError": "sheetkit.common:SheetkitError",
    "UsageError": "sheetkit.common:UsageError",
    "today": "sheetkit.common.clock:today",  # sheetkit's one clock: every "today", settable in tests
    # the most ingest opens at once: files in one folder or zip, and the bytes of one container
    "MAX_MEMBERS": "sheetkit.returns.reader:MAX_MEMBERS",
    "MAX_CONTAINER_BYTES": "sheetkit.returns.folder:MAX_CONTAINER_BYTES",
}
__all__ = ["__version__", *_FACE]


def __getattr__(name: str):
    if name == "__version__":
        globals()[name] = _version()
        return globals()[name]
    try:
        module, _, attribute = _FACE[name].partition(":")
    except KeyError:
        raise AttributeError(f"module 'sheetkit' has no attribute {name!r}") from None
    value = getattr(import_module(module), attribute)
    globals()[name] = value
    return value


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sheetkit")
    except PackageNotFoundError:  # running from a source tree that was not installed
        return "0.0.0"


def __dir__() -> list[str]:
    return sorted(__all__)
