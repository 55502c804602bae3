"""The framework library: the five published frameworks, the file format and its checker."""

from __future__ import annotations

import html
import json
import re

import pytest
import yaml
from click.testing import CliRunner

from conftest import BUNDLED, IN_CI, SEEDS
from sheetkit.cli import cli
from sheetkit.errors import FrameworkNotFound
from sheetkit.framework_file import check_framework_file, load_framework
from sheetkit.library import data_dir, get_framework, list_frameworks

SOURCES = {
    "ipc-audit": "000_71e16c5a6ea667d4.txt",
    "lga-cbo": "001_ffe87eeef24192a9.txt",
    "swia-commissioning": "002_f66191565d02574a.txt",
    "tlap-market": "003_92f58cd4ec805afd.txt",
    "wales-commissioning": "004_dcdfdce3b80bbeb3.txt",
}


def test_every_bundled_framework_is_listed_and_loads():
    assert sorted(e.id for e in list_frameworks()) == sorted(BUNDLED)
    for framework_id in BUNDLED:
        assert get_framework(framework_id).id == framework_id


@pytest.mark.parametrize("framework_id, sections, items, statements", [
    ("ipc-audit", 5, 5, 25),
    ("lga-cbo", 4, 12, 54),
    ("swia-commissioning", 4, 18, 18),
    ("tlap-market", 5, 30, 0),
    ("wales-commissioning", 1, 13, 13),
])
def test_counts(framework_id, sections, items, statements):
    counts = get_framework(framework_id).counts()
    assert counts == {"sections": sections, "items": items, "statements": statements}


def test_lga_numbering_follows_the_source_without_inventing_8_4():
    fw = get_framework("lga-cbo")
    ids = [st.id for _, _, st in fw.statements()]
    assert ids[0] == "1.1" and ids[-1] == "12.6"
    assert "8.4" not in ids and {"8.3", "8.5"} <= set(ids)
    assert [item.id for _, item in fw.items()] == [str(n) for n in range(1, 13)]
    assert fw.scale("rating").values == tuple(range(1, 11))


def test_swia_has_its_six_point_scale_and_illustrations():
    fw = get_framework("swia-commissioning")
    scale = fw.scale("rating")
    assert [lv.label for lv in scale.levels] == ["Unsatisfactory", "Weak", "Adequate", "Good", "Very good", "Excellent"]
    assert scale.origin == "publisher"
    for section in fw.sections:
        assert sorted(il.level for il in section.illustrations) == [2, 5]
        assert all(il.points for il in section.illustrations)
    assert [f.id for f in fw.fields("section")][:1] == ["overall"]


def test_tlap_challenges_each_have_five_level_statements():
    fw = get_framework("tlap-market")
    for _, item in fw.items():
        assert [lv.value for lv in item.levels] == [1, 2, 3, 4, 5]
        assert all(lv.text for lv in item.levels)


@pytest.mark.parametrize("framework_id", ["ipc-audit", "wales-commissioning"])
def test_scales_the_sources_do_not_publish_are_marked_as_sheetkits(framework_id):
    for scale in get_framework(framework_id).scales:
        assert scale.origin == "sheetkit" and "no scale" in scale.note.lower() or "publishes no" in scale.note.lower()


def _normalise(text: str) -> str:
    text = html.unescape(text)
    text = re.sub(r"</?(p|b|i|u|ul|ol|li|br|strong|em|span)\b[^>]*>", " ", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = re.sub(r"[\u2022\u25a0\u25e6\uf0b7*|#<>]", " ", text)
    text = re.sub(r"(^|\n)\s*-\s", " ", text)
    text = re.sub(r"-\s*\n\s*", "-", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def _first_and_last(framework_id):
    fw = get_framework(framework_id)
    for section in fw.sections:
        texts = [st.text for item in section.items for st in item.statements]
        texts = texts or [lv.text for item in section.items for lv in item.levels]
        yield section.id, texts[0], texts[-1]


@pytest.mark.parametrize("framework_id", BUNDLED)
def test_first_and_last_statement_of_every_section_match_the_source(framework_id):
    source = SEEDS / SOURCES[framework_id]
    if not source.exists():
        if IN_CI:
            pytest.fail(f"the published source texts are missing from {SEEDS}")
        pytest.skip(f"the published source texts are not in {SEEDS} (set SHEETKIT_SEEDS)")
    published = _normalise(source.read_text(encoding="utf-8"))
    squashed = published.replace(" ", "")
    for section_id, first, last in _first_and_last(framework_id):
        for text in (first, last):
            wanted = _normalise(text)
            assert wanted in published or wanted.replace(" ", "") in squashed, (section_id, text[:80])


def test_fingerprint_ignores_formatting_but_not_wording(tmp_path):
    original = data_dir("frameworks") / "lga-cbo.yaml"
    data = yaml.safe_load(original.read_text(encoding="utf-8"))
    reformatted = tmp_path / "lga-cbo.yaml"
    reformatted.write_text(yaml.safe_dump(data, default_flow_style=True, width=60, sort_keys=True), encoding="utf-8")
    assert load_framework(reformatted).fingerprint == get_framework("lga-cbo").fingerprint
    data["sections"][0]["items"][0]["statements"][0]["text"] = data["sections"][0]["items"][0]["statements"][0]["text"].replace("Commissioners", "Managers", 1)
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_framework(changed).fingerprint != get_framework("lga-cbo").fingerprint


def test_a_broken_file_reports_every_problem_with_line_and_path(tmp_path, tiny_framework_yaml):
    broken = tiny_framework_yaml.replace("id: tiny\n", "")  # missing id
    broken = broken.replace('{id: "1.2", text: We share data.}', '{id: "1.1", text: We share data.}')  # duplicate
    broken = broken.replace("title: Standard two", "titel: Standard two")  # misspelt key
    broken = broken.replace('      - id: "2"\n', '      - id: "2"\n        levels: [{value: 7, text: Off the scale}]\n')
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    findings = check_framework_file(path)
    codes = {f.code for f in findings}
    assert {"key-missing", "id-duplicate", "key-unknown", "level-outside-scale"} <= codes
    by_code = {f.code: f for f in findings}
    assert "did you mean 'title'" in by_code["key-unknown"].message
    assert by_code["key-unknown"].line == broken.splitlines().index("        titel: Standard two") + 1
    assert by_code["id-duplicate"].path == "sections[0].items[0].statements[1].id"
    assert by_code["level-outside-scale"].path.startswith("sections[1].items[0].levels[0]")
    assert all(f.file == str(path) and f.line for f in findings)


def test_invalid_yaml_is_located(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\ntitle: [unclosed\nversion: 1\n", encoding="utf-8")
    (finding,) = check_framework_file(path)
    assert finding.code == "yaml-invalid" and finding.line == 3
    assert "unclosed" in finding.message or "check" in finding.message


def test_unknown_id_suggests_the_nearest():
    with pytest.raises(FrameworkNotFound, match="Did you mean: lga-cbo"):
        get_framework("lga-cb")


def test_user_frameworks_are_found_via_environment_and_option(tiny_dir, tmp_path):
    assert get_framework("tiny").title == "Tiny standards"
    runner = CliRunner()
    listed = runner.invoke(cli, ["frameworks"])
    assert listed.exit_code == 0 and "tiny" in listed.output
    other = tmp_path / "other"
    other.mkdir()
    (other / "tiny2.yaml").write_text((tiny_dir / "tiny.yaml").read_text().replace("id: tiny", "id: tiny2"))
    shown = runner.invoke(cli, ["--frameworks-dir", str(other), "frameworks", "show", "tiny2"])
    assert shown.exit_code == 0, shown.output
    assert "Tiny standards" in shown.output


def test_cli_list_show_and_check():
    runner = CliRunner()
    listed = runner.invoke(cli, ["frameworks"])
    assert listed.exit_code == 0
    for framework_id in BUNDLED:
        assert framework_id in listed.output
    shown = runner.invoke(cli, ["frameworks", "show", "lga-cbo", "--json"])
    assert shown.exit_code == 0
    data = json.loads(shown.output)
    assert data == json.loads(json.dumps(get_framework("lga-cbo").to_dict()))
    section = data["sections"][0]
    assert {"id", "title", "items"} <= set(section)
    assert {"id", "title", "statements"} <= set(section["items"][0])
    assert {"id", "text"} <= set(section["items"][0]["statements"][0])
    tlap = json.loads(runner.invoke(cli, ["frameworks", "show", "tlap-market", "--json"]).output)
    assert {"value", "label", "text"} <= set(tlap["sections"][0]["items"][0]["levels"][0])
    unknown = runner.invoke(cli, ["frameworks", "show", "swia"])
    assert unknown.exit_code == 2 and "Did you mean" in unknown.output


def test_cli_check_exits_1_on_errors(tmp_path, tiny_framework_yaml):
    good = tmp_path / "good.yaml"
    good.write_text(tiny_framework_yaml)
    bad = tmp_path / "bad.yaml"
    bad.write_text(tiny_framework_yaml.replace("scale: rating", "scale: ratings"))
    runner = CliRunner()
    assert runner.invoke(cli, ["frameworks", "check", str(good)]).exit_code == 0
    result = runner.invoke(cli, ["frameworks", "check", str(bad), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["valid"] is False
    assert report["findings"][0]["code"] == "scale-unknown" and report["findings"][0]["line"]
