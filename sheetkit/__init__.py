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
    "load_framework": "sheetkit.library:resolve_framework",
    "list_frameworks": "sheetkit.library:list_frameworks",
    "Framework": "sheetkit.framework:Framework",
    "Respondent": "sheetkit.respondents:Respondent",
    "load_respondents": "sheetkit.respondents:load_respondents",
    "read_manifest": "sheetkit.manifest:read_manifest",
    "BuildOptions": "sheetkit.build:BuildOptions",
    "BuildResult": "sheetkit.build:BuildResult",
    "build_workbooks": "sheetkit.build:build_workbooks",
    "IngestOptions": "sheetkit.ingest_report:IngestOptions",
    "IngestReport": "sheetkit.ingest_report:IngestReport",
    "validate_returns": "sheetkit.ingest:validate_returns",
    "ingest_returns": "sheetkit.ingest:ingest_returns",
    "ChaseOptions": "sheetkit.chase:ChaseOptions",
    "ChaseResult": "sheetkit.chase:ChaseResult",
    "chase": "sheetkit.chase:chase",
    "load_previous": "sheetkit.previous:load_previous",
    "AgreementRule": "sheetkit.agreement:AgreementRule",
    "Finding": "sheetkit.findings:Finding",
    "CATALOGUE": "sheetkit.findings:CATALOGUE",
    "SheetkitError": "sheetkit.errors:SheetkitError",
    "UsageError": "sheetkit.errors:UsageError",
    # the most ingest opens at once: files in one folder or zip, and the bytes of one container
    "MAX_MEMBERS": "sheetkit.reader:MAX_MEMBERS",
    "MAX_CONTAINER_BYTES": "sheetkit.returns_folder:MAX_CONTAINER_BYTES",
}
__all__ = ["__version__", *_FACE]


def __getattr__(name: str):
    try:
        module, _, attribute = _FACE[name].partition(":")
    except KeyError:
        raise AttributeError(f"module 'sheetkit' has no attribute {name!r}") from None
    value = getattr(import_module(module), attribute)
    globals()[name] = value
    _unshadow()
    return value


def _unshadow() -> None:
    """Importing a module named like a face function (``sheetkit.chase``) binds the module to that
    name in this package; drop such a binding, so the name goes on meaning the function."""
    for name in _FACE:
        if type(globals().get(name)).__name__ == "module":
            del globals()[name]


def __dir__() -> list[str]:
    return sorted(__all__)
