"""sheetkit: self-assessment workbooks for commissioning frameworks, built and compiled.

The library face: each command of the command line is one function here, taking an options
object and returning a result with ``to_dict()``, ``render()`` and ``exit_code``::

    import sheetkit
    framework = sheetkit.load_framework("lga-cbo")
    people = sheetkit.load_respondents("samples/respondents.csv").people
    built = sheetkit.build_workbooks(framework, people, sheetkit.BuildOptions(out_dir=Path("out")))
    report = sheetkit.validate_returns(["returns/"], sheetkit.IngestOptions(manifest="out/manifest.csv"))

Names are imported when first used, so ``import sheetkit`` stays quick.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sheetkit")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

# name -> the module that defines it
_FACE = {
    "load_framework": "sheetkit.framework.library:resolve_framework",
    "list_frameworks": "sheetkit.framework.library:list_frameworks",
    "Framework": "sheetkit.framework.model:Framework",
    "Respondent": "sheetkit.roster.respondents:Respondent",
    "load_respondents": "sheetkit.roster.respondents:load_respondents",
    "BuildOptions": "sheetkit.commands.build:BuildOptions",
    "BuildResult": "sheetkit.commands.build:BuildResult",
    "build_workbooks": "sheetkit.commands.build:build_workbooks",
    "CheckOptions": "sheetkit.returns.outcome:CheckOptions",
    "IngestOptions": "sheetkit.commands.ingest:IngestOptions",
    "IngestReport": "sheetkit.returns.outcome:IngestReport",
    "validate_returns": "sheetkit.returns.check:validate_returns",
    "ingest_returns": "sheetkit.commands.ingest:ingest_returns",
    "ChaseOptions": "sheetkit.commands.chase:ChaseOptions",
    "ChaseResult": "sheetkit.commands.chase:ChaseResult",
    "chase": "sheetkit.commands.chase:chase",
    "load_previous": "sheetkit.rounds.load:load_previous",
    "AgreementRule": "sheetkit.consolidate.agreement:AgreementRule",
    "Finding": "sheetkit.common.findings:Finding",
    "CATALOGUE": "sheetkit.common.findings:CATALOGUE",
    "SheetkitError": "sheetkit.common.errors:SheetkitError",
    "UsageError": "sheetkit.common.errors:UsageError",
    "read_manifest": "sheetkit.roster.manifest:read_manifest",
    "today": "sheetkit.common.clock:today",  # sheetkit's one clock: every "today", settable in tests
    # the most ingest opens at once: files in one folder or zip, and the bytes of one container
    "MAX_MEMBERS": "sheetkit.returns.reader:MAX_MEMBERS",
    "MAX_CONTAINER_BYTES": "sheetkit.returns.folder:MAX_CONTAINER_BYTES",
}
__all__ = ["__version__", *_FACE]


def __getattr__(name: str):
    try:
        module, _, attribute = _FACE[name].partition(":")
    except KeyError:
        raise AttributeError(f"module 'sheetkit' has no attribute {name!r}") from None
    value = getattr(import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
