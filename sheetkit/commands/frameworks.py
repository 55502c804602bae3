"""Library functions behind `sheetkit frameworks`: list, show and check frameworks."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Iterable

from sheetkit.common.findings import Finding, count
from sheetkit.framework.model import NO_ROLE, UNDESCRIBED_LEVELS, Framework, Scale
from sheetkit.framework.file import FrameworkFileError, check_framework_file
from sheetkit.framework.library import list_frameworks, resolve_framework


@dataclass
class FrameworkList:
    frameworks: list[Framework]
    broken: list[FrameworkFileError] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.broken else 0

    def to_dict(self) -> dict:
        return {
            "frameworks": [
                {"id": f.id, "title": f.title, "version": f.version, "path": f.path,
                 "fingerprint": f.fingerprint, **f.counts()}
                for f in self.frameworks
            ],
            "broken": [{"path": e.path, "findings": [x.to_dict() for x in e.findings]} for e in self.broken],
        }

    def render(self) -> str:
        rows = [f"{'id':<22} {'version':<8} {'sections':>8} {'items':>6} {'statements':>10}  title"]
        for f in self.frameworks:
            c = f.counts()
            rows.append(f"{f.id:<22} {f.version:<8} {c['sections']:>8} {c['items']:>6} {c['statements']:>10}  {f.title}")
        for error in self.broken:
            rows.append(f"(not loaded) {error}")
        return "\n".join(rows)


def list_available(extra_dirs: Iterable[str] = ()) -> FrameworkList:
    """Every framework sheetkit can find; files that fail to load are listed as broken."""
    result = FrameworkList([])
    for entry in list_frameworks(extra_dirs):
        try:
            result.frameworks.append(resolve_framework(str(entry.path)))
        except FrameworkFileError as exc:
            result.broken.append(exc)
    return result


@dataclass
class FrameworkView:
    framework: Framework
    exit_code: int = 0

    def to_dict(self) -> dict:
        return self.framework.to_dict()

    def render(self) -> str:
        fw = self.framework
        out = [f"{fw.title}  [{fw.id} version {fw.version}]", f"Source: {fw.source.citation()}",
               f"Fingerprint: {fw.fingerprint}", ""]
        for scale in fw.scales:
            out += _scale_lines(scale)
        out += ["", "Responses (what respondents fill in):"]
        for level in fw.responses:
            for f in fw.fields(level):
                marks = [f.type] + ([f"role: {f.role}"] if f.role != NO_ROLE else [])
                marks += ["added by sheetkit"] if f.origin == "sheetkit" else []
                out.append(_wrap(f"{level}: {f.label} ({', '.join(marks)})", "  "))
        for section in fw.sections:
            out += ["", f"{fw.labels['section']} {section.id}: {section.title}  [sheet: {section.short_title}]"]
            for item in section.items:
                out.append(f"  {fw.labels['item']} {item.id}: {item.title}")
                if fw.stem(section, item):
                    out.append(f"    {fw.stem(section, item)}")
                for level in item.levels:
                    out.append(_wrap(f"[{level.value}] {level.text}", "      "))
                for statement in item.statements:
                    out.append(_wrap(f"{statement.id} {statement.text}", "    "))
        return "\n".join(out)


def _scale_lines(scale: Scale) -> list[str]:
    origin = "published scale" if scale.origin == "publisher" else "scale added by sheetkit"
    if scale.label_origin == "sheetkit":
        origin += ", level labels added by sheetkit"
    out = [f"Scale '{scale.id}': {scale.title} ({origin})"]
    for level in scale.levels:
        out.append(f"  {level.choice}")
        if level.description:
            out.append(_wrap(level.description, "      "))
    if not scale.described:
        out.append(_wrap(UNDESCRIBED_LEVELS, "  "))
    out += [_wrap(line, "  ") for line in scale.guidance.splitlines()]
    return out


def show_framework(reference: str, extra_dirs: Iterable[str] = ()) -> FrameworkView:
    """One framework, by id or YAML path."""
    return FrameworkView(resolve_framework(reference, extra_dirs))


@dataclass
class CheckResult:
    findings_by_file: dict[str, list[Finding]]

    @property
    def findings(self) -> list[Finding]:
        return [f for fs in self.findings_by_file.values() for f in fs]

    @property
    def exit_code(self) -> int:
        return 1 if count(self.findings)[0] else 0

    def to_dict(self) -> dict:
        errors, warnings = count(self.findings)
        return {"valid": errors == 0, "errors": errors, "warnings": warnings,
                "findings": [f.to_dict() for f in self.findings]}

    def render(self) -> str:
        lines = []
        for path, findings in self.findings_by_file.items():
            if not findings:
                lines.append(f"{path}: OK")
            lines += [f.render() for f in findings]
        errors, warnings = count(self.findings)
        lines.append(f"{errors} error(s), {warnings} warning(s) in {len(self.findings_by_file)} file(s)")
        return "\n".join(lines)


def check_files(paths: Iterable[str]) -> CheckResult:
    """Check framework files, collecting every problem in every file."""
    return CheckResult({str(p): check_framework_file(p) for p in paths})


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(" ".join(text.split()), width=100, initial_indent=indent, subsequent_indent=indent + "  ")
