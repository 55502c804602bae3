"""Contacts, addresses and templates as people type them: line breaks, several addresses in one
cell, addresses that are not addresses, placeholders a template's writer does not know.

Every draft is parsed back with the standard library, as a mail program would."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from sheetkit.cli import cli
from sheetkit.roster.addresses import parse_addresses

FUTURE = "2099-01-31"


def _message(path: Path):
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    defects = list(message.defects) + [d for part in message.walk() for d in part.defects]
    defects += [d for name in message.keys() for d in getattr(message[name], "defects", ())]
    assert not defects, f"{path.name}: {defects}"
    return message


def _people(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("typed, addresses, bad", [
    ("a@x.org; b@x.org", [("", "a@x.org"), ("", "b@x.org")], []),
    ("a@x.org, b@x.org", [("", "a@x.org"), ("", "b@x.org")], []),
    ("a@x.org\nb@x.org", [("", "a@x.org"), ("", "b@x.org")], []),
    ("Ann Smith <a@x.org>, b@x.org", [("Ann Smith", "a@x.org"), ("", "b@x.org")], []),
    ("Smith, Ann <a@x.org>", [("Smith, Ann", "a@x.org")], []),
    ("mailto:a@x.org", [("", "a@x.org")], []),
    ("  ", [], []),
    ("ask Tom", [], ["ask", "Tom"]),
    ("a@x.org; a@x", [("", "a@x.org")], ["a@x"]),
])
def test_addresses_are_read_as_people_type_them(typed, addresses, bad):
    parsed = parse_addresses(typed)
    assert list(parsed.found) == addresses and list(parsed.bad) == bad


def test_a_line_break_in_a_contact_and_several_addresses_make_a_proper_address_list(tmp_path):
    people = _people(tmp_path, 'name,email,contact\nAdults,"a@x.org; b@x.org","Priya\nShah"\n'
                               'Housing,"Tom Reilly <housing@x.org>\nt.reilly@x.org",Tom Reilly\n')
    out = tmp_path / "exercise" / "workbooks"
    result = CliRunner().invoke(cli, ["build", "ipc-audit", "--respondents", str(people), "--out", str(out),
                                      "--deadline", FUTURE, "--emails", "--return-to", "lead@anytown.gov.uk"])
    assert result.exit_code == 0, result.output
    adults = _message(next(out.glob("*adults*.eml")))
    assert [(a.display_name, a.addr_spec) for a in adults["To"].addresses] == [("", "a@x.org"), ("", "b@x.org")]
    assert "Dear Priya Shah," in adults.get_body(("plain",)).get_content()
    assert str(adults["Reply-To"]) == "lead@anytown.gov.uk"
    housing = _message(next(out.glob("*housing*.eml")))
    assert [(a.display_name, a.addr_spec) for a in housing["To"].addresses] == [("Tom Reilly", "housing@x.org"),
                                                                                 ("", "t.reilly@x.org")]
    # chase reads the same addresses back from the manifest
    returns = tmp_path / "exercise" / "returns"
    returns.mkdir()
    chased = CliRunner().invoke(cli, ["chase", str(returns), "--manifest", str(tmp_path / "exercise" / "manifest.csv"),
                                      "--out", str(tmp_path / "chase"), "--today", "2099-01-10"])
    assert chased.exit_code == 0, chased.output
    reminder = _message(next((tmp_path / "chase").rglob("reminder_Adults.eml")))
    assert [a.addr_spec for a in reminder["To"].addresses] == ["a@x.org", "b@x.org"]


def test_an_address_that_is_not_one_is_refused_with_its_row(tmp_path):
    people = _people(tmp_path, "name,email\nHousing,housing@x.org\nAdults,ask Tom\nHealth,h@x.org; nobody\n")
    out = tmp_path / "workbooks"
    result = CliRunner().invoke(cli, ["build", "ipc-audit", "--respondents", str(people), "--out", str(out),
                                      "--deadline", FUTURE])
    assert result.exit_code == 2, result.output
    assert f"{people}, row 3, column 'email': 'ask Tom'" in result.output
    assert f"{people}, row 4, column 'email': 'h@x.org; nobody' holds 'nobody', which is not an email address" \
        in result.output
    assert not any(p.is_file() for p in tmp_path.rglob("*") if p != people)


@pytest.mark.parametrize("template, line", [("email.txt", 5), ("instructions.txt", 2)])
def test_an_unknown_placeholder_in_a_build_template_is_refused_with_its_name_and_line(tmp_path, template, line):
    own = tmp_path / "templates"
    own.mkdir()
    text = "Subject: Self-assessment for $respondent\n\nDear $addressee,\n\nRegards,\n$signature\n"
    if template == "instructions.txt":
        text = "1. Fill in the yellow cells by $deadline.\n2. Ask ${signatory} to sign it off.\n"
    (own / template).write_text(text, encoding="utf-8")
    out = tmp_path / "workbooks"
    result = CliRunner().invoke(cli, ["build", "ipc-audit", "--respondent", "Housing", "--out", str(out),
                                      "--deadline", FUTURE, "--emails", "--templates", str(own)])
    assert result.exit_code == 2, result.output
    word = "signature" if template == "email.txt" else "signatory"
    assert f"template {own / template}, line {line if template == 'instructions.txt' else 6}: ${word} is not a " \
           f"placeholder of {template}" in " ".join(result.output.split())
    assert not any(p.is_file() for p in tmp_path.rglob("*") if p.parent != own)


def test_an_unknown_placeholder_in_a_chase_template_is_refused_before_any_draft(tmp_path):
    own = tmp_path / "templates"
    own.mkdir()
    (own / "reminder.txt").write_text("Subject: Reminder\n\nDear $addressee,\nPlease send it by $dedline.\n",
                                      encoding="utf-8")
    people = _people(tmp_path, "name,email\nHousing,h@x.org\n")
    assert CliRunner().invoke(cli, ["build", "ipc-audit", "--respondents", str(people), "--out",
                                    str(tmp_path / "ex" / "workbooks"), "--deadline", FUTURE]).exit_code == 0
    (tmp_path / "ex" / "returns").mkdir()
    result = CliRunner().invoke(cli, ["chase", str(tmp_path / "ex" / "returns"), "--out", str(tmp_path / "chase"),
                                      "--templates", str(own), "--today", "2099-01-10"])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert f"template {own / 'reminder.txt'}, line 4: $dedline is not a placeholder of reminder.txt" in said
    assert "Did you mean $deadline?" in said and "Internal error" not in said
    assert not (tmp_path / "chase").exists()


def test_a_from_address_that_is_not_one_is_refused(tmp_path):
    people = _people(tmp_path, "name,email\nHousing,h@x.org\n")
    assert CliRunner().invoke(cli, ["build", "ipc-audit", "--respondents", str(people), "--out",
                                    str(tmp_path / "ex" / "workbooks"), "--deadline", FUTURE]).exit_code == 0
    (tmp_path / "ex" / "returns").mkdir()
    result = CliRunner().invoke(cli, ["chase", str(tmp_path / "ex" / "returns"), "--out", str(tmp_path / "chase"),
                                      "--emails-from", "Lead\nOfficer", "--today", "2099-01-10"])
    assert result.exit_code == 2 and "--emails-from 'Lead Officer' is not one email address" in result.output
