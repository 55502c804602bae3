"""The rules across returns, on returns built as objects in the test (no files)."""

from __future__ import annotations

import datetime as dt

from sheetkit.returns.settle import Asked, Roster, base_name, person_key, settle, stamps
from sheetkit.returns.model import CheckedReturn

UTC = dt.timezone.utc


def ret(file, respondent="Housing", saved=(2026, 12, 1, 9), by="", build="b1", content="", sha="", round_="2026 Q4",
        built_at="2026-11-01T09:00:00+00:00") -> CheckedReturn:
    return CheckedReturn(file, sha or f"sha-{file}", respondent=respondent, round=round_, build_id=build,
                         built_at=built_at, saved_by=by, content=content or f"answers-{file}",
                         saved_at=dt.datetime(*saved, tzinfo=UTC) if saved else None)


def roster(*entries: Asked, round_="2026 Q4") -> Roster:
    from sheetkit.common.text import normalise_name

    return Roster("manifest.csv", round_, {normalise_name(e.name): e for e in entries})


def status(returns):
    return {r.file: r.status for r in returns}


def codes(r):
    return [f.code for f in r.findings]


def test_the_later_save_by_the_same_author_is_used_and_the_message_is_consistent():
    old, new = ret("a.xlsx", saved=(2026, 12, 1, 9), by="Ann Smith"), ret("b.xlsx", saved=(2026, 12, 5, 17), by="Ann Smith")
    outcome = settle([old, new], None)
    assert status([old, new]) == {"a.xlsx": "superseded", "b.xlsx": "accepted"}
    assert codes(old) == ["superseded"]
    assert "b.xlsx was saved later (2026-12-05 17:00) than this one (2026-12-01 09:00)" in old.findings[0].message
    assert outcome.chase == [] and not any(f.is_error for f in old.findings)


def test_same_save_time_is_a_conflict_not_a_file_name_decision():
    a, b = ret("a.xlsx", saved=(2026, 12, 1, 10)), ret("b.xlsx", saved=(2026, 12, 1, 10))
    settle([a, b], None)
    loser = a if a.status == "superseded" else b
    [finding] = loser.findings
    assert finding.code == "return-conflict" and finding.is_error
    assert "same save time (2026-12-01 10:00)" in finding.message
    assert "saved later" not in finding.message
    assert "a.xlsx" in finding.message and "b.xlsx" in finding.message and "build b1" in finding.message
    assert f'--prefer "{loser.file}"' in finding.message


def test_times_within_one_minute_are_shown_with_seconds():
    a = dt.datetime(2026, 12, 1, 10, 0, 5, tzinfo=UTC)
    b = dt.datetime(2026, 12, 1, 10, 0, 40, tzinfo=UTC)
    assert stamps(b, a) == ("2026-12-01 10:00:40", "2026-12-01 10:00:05")
    old, new = ret("a.xlsx", by="Ann"), ret("b.xlsx", by="Ann")
    old.saved_at, new.saved_at = a, b
    settle([old, new], None)
    assert "(2026-12-01 10:00:40) than this one (2026-12-01 10:00:05)" in old.findings[0].message


def test_different_authors_are_a_conflict_naming_both_authors_and_builds():
    mine = ret("housing.xlsx", saved=(2026, 12, 1, 9), by="Ann Smith")
    resaved = ret("housing-old.xlsx", saved=(2026, 12, 8, 9), by="Lead Officer")
    settle([mine, resaved], None)
    conflict = [f for r in (mine, resaved) for f in r.findings if f.code == "return-conflict"]
    assert len(conflict) == 1
    assert "Ann Smith" in conflict[0].message and "Lead Officer" in conflict[0].message
    assert "2026-12-01 09:00" in conflict[0].message and "2026-12-08 09:00" in conflict[0].message


def test_a_later_save_by_the_one_who_saves_another_respondents_returns_is_held_back_not_used():
    correction = ret("housing v2.xlsx", saved=(2026, 12, 3, 9), by="Ann Smith")
    resaved = ret("housing v1.xlsx", saved=(2026, 12, 9, 9), by="Lead Officer")
    health = ret("health.xlsx", respondent="Health", saved=(2026, 12, 9, 9, 5), by="Lead Officer")
    people = roster(Asked("Housing", contacts=("ann.smith@housing.example",)), Asked("Health", contacts=("Bo Li",)))
    settle([resaved, correction, health], people)
    assert correction.status == "accepted" and resaved.status == "rejected"
    assert codes(resaved) == ["return-forwarded"] and resaved.findings[0].is_error
    said = resaved.findings[0].message
    assert "Lead Officer, who also saved Health's return health.xlsx" in said
    assert "while Housing's return housing v2.xlsx was saved by Ann Smith" in said
    assert health.status == "accepted" and codes(health) == []  # the lead is the only one who saved Health's


def test_a_colleague_of_the_same_partner_revising_is_a_clear_superseded_note():
    first = ret("housing.xlsx", saved=(2026, 12, 3, 9), by="Ann Smith")
    revised = ret("housing revised.xlsx", saved=(2026, 12, 5, 14), by="Bob Green")
    other = ret("health.xlsx", respondent="Health", by="Bo Li")
    people = roster(Asked("Housing", contacts=("Ann Smith",)), Asked("Health", contacts=("Bo Li",)))
    outcome = settle([first, revised, other], people)
    assert status([first, revised, other]) == {"housing.xlsx": "superseded", "housing revised.xlsx": "accepted",
                                               "health.xlsx": "accepted"}
    assert codes(first) == ["superseded"] and codes(revised) == [] and codes(other) == []
    message = first.findings[0].message
    assert "saved later (2026-12-05 14:00, by Bob Green) than this one (2026-12-03 09:00, by Ann Smith)" in message
    assert "colleague at Housing revising it" in message and '--prefer "housing.xlsx"' in message
    assert not any(f.is_error for f in outcome.findings)


def test_prefer_settles_a_conflict_and_is_echoed():
    a, b = ret("a.xlsx", saved=(2026, 12, 1, 10)), ret("b.xlsx", saved=(2026, 12, 1, 10))
    outcome = settle([a, b], None, prefer=["a.xlsx"])
    assert status([a, b]) == {"a.xlsx": "accepted", "b.xlsx": "superseded"}
    assert codes(b) == ["superseded"] and "chosen with --prefer" in b.findings[0].message
    assert outcome.preferred == ["a.xlsx"]


def test_prefer_can_pick_the_older_save():
    old, new = ret("old.xlsx", saved=(2026, 12, 1, 9)), ret("new.xlsx", saved=(2026, 12, 5, 9))
    settle([old, new], None, prefer=["old.xlsx"])
    assert status([old, new]) == {"old.xlsx": "accepted", "new.xlsx": "superseded"}


def test_a_reissued_build_is_preferred_over_the_one_it_replaced():
    people = roster(Asked("Housing", build_id="new", replaced=("old",)))
    first = ret("first.xlsx", build="old", saved=(2026, 12, 1, 9))
    again = ret("again.xlsx", build="new", saved=(2026, 12, 4, 9))
    settle([again, first], people)
    assert status([first, again]) == {"first.xlsx": "superseded", "again.xlsx": "accepted"}
    assert "re-issued workbook (build new, which replaces build old)" in first.findings[0].message


def test_an_old_build_saved_after_the_reissue_is_a_conflict():
    people = roster(Asked("Housing", build_id="new", replaced=("old",)))
    first = ret("first.xlsx", build="old", saved=(2026, 12, 9, 9))
    again = ret("again.xlsx", build="new", saved=(2026, 12, 4, 9))
    settle([first, again], people)
    assert again.status == "accepted" and first.status == "superseded"
    assert codes(first) == ["return-conflict"] and "earlier build old, was saved after it" in first.findings[0].message


def test_without_a_manifest_the_later_build_is_the_reissue():
    first = ret("first.xlsx", build="b1", built_at="2026-11-01T09:00:00+00:00", saved=(2026, 12, 1, 9))
    again = ret("again.xlsx", build="b2", built_at="2026-11-20T09:00:00+00:00", saved=(2026, 12, 4, 9))
    settle([first, again], None)
    assert again.status == "accepted" and codes(first) == ["superseded"]


def test_same_answers_settle_it_whoever_saved():
    a = ret("a.xlsx", by="Ann", content="same", saved=(2026, 12, 1, 9))
    b = ret("b.xlsx", by="Lead Officer", content="same", saved=(2026, 12, 2, 9))
    settle([a, b], None)
    assert codes(a) == ["superseded"] and "holds the same answers" in a.findings[0].message


def test_identical_files_keep_the_name_the_manifest_lists_not_the_copy():
    people = roster(Asked("Housing", files=("lga-cbo_housing_2026-q4.xlsx",)))
    copy = ret("Copy of lga-cbo_housing_2026-q4.xlsx", sha="x")
    listed = ret("sub/lga-cbo_housing_2026-q4.xlsx", sha="x")
    settle([copy, listed], people)
    assert status([copy, listed]) == {"Copy of lga-cbo_housing_2026-q4.xlsx": "duplicate",
                                      "sub/lga-cbo_housing_2026-q4.xlsx": "accepted"}
    assert "sub/lga-cbo_housing_2026-q4.xlsx" in copy.findings[0].message


def test_identical_files_without_a_manifest_keep_the_one_not_named_like_a_copy():
    a, b, c = ret("housing (2).xlsx", sha="x"), ret("housing.xlsx", sha="x"), ret("Copy of housing.xlsx", sha="x")
    settle([a, b, c], None)
    assert status([a, b, c]) == {"housing (2).xlsx": "duplicate", "housing.xlsx": "accepted",
                                 "Copy of housing.xlsx": "duplicate"}


def test_a_forwarded_workbook_never_replaces_the_respondents_own_return():
    asc_own = ret("asc.xlsx", respondent="Adult Social Care", by="Ann Smith", saved=(2026, 12, 1, 9))
    forwarded = ret("asc-from-housing.xlsx", respondent="Adult Social Care", by="Harry Jones", saved=(2026, 12, 6, 9))
    housing = ret("housing.xlsx", respondent="Housing", by="Harry Jones", saved=(2026, 12, 2, 9))
    settle([asc_own, forwarded, housing], None)
    assert status([asc_own, forwarded, housing]) == {"asc.xlsx": "accepted", "asc-from-housing.xlsx": "rejected",
                                                     "housing.xlsx": "accepted"}
    [finding] = forwarded.findings
    assert finding.code == "return-forwarded" and finding.is_error
    assert "Harry Jones" in finding.message and "housing.xlsx" in finding.message
    assert codes(asc_own) == [] and codes(housing) == []


def test_a_forward_is_caught_by_the_manifest_contact_alone():
    people = roster(Asked("Adult Social Care", contacts=("ann.smith@asc.example",)),
                    Asked("Housing", contacts=("Harry Jones",)))
    forwarded = ret("asc.xlsx", respondent="Adult Social Care", by="Jones, Harry")
    outcome = settle([forwarded], people)
    assert forwarded.status == "rejected" and codes(forwarded) == ["return-forwarded"]
    assert "manifest's contact for Housing" in forwarded.findings[0].message
    assert outcome.chase == ["Adult Social Care", "Housing"]
    assert outcome.chase_why["Adult Social Care"].startswith("received but rejected: asc.xlsx (possibly filled in "
                                                            "by Housing")
    assert outcome.chase_why["Housing"] == "nothing received"


def test_one_person_saving_two_respondents_returns_with_nothing_else_to_go_on_is_a_warning():
    asc = ret("asc.xlsx", respondent="Adult Social Care", by="Harry Jones")
    housing = ret("housing.xlsx", respondent="Housing", by="Harry Jones")
    settle([asc, housing], None)
    assert status([asc, housing]) == {"asc.xlsx": "accepted", "housing.xlsx": "accepted"}
    assert codes(asc) == codes(housing) == ["return-forwarded"]
    assert not any(f.is_error for f in asc.findings + housing.findings)


def test_a_preferred_forward_is_used_with_the_evidence_kept_as_a_warning():
    people = roster(Asked("Adult Social Care", contacts=("Ann Smith",)), Asked("Housing", contacts=("Harry Jones",)))
    forwarded = ret("asc.xlsx", respondent="Adult Social Care", by="Harry Jones")
    settle([forwarded], people, prefer=["asc.xlsx"])
    assert forwarded.status == "accepted" and codes(forwarded) == ["return-forwarded"]
    assert not forwarded.findings[0].is_error and "because --prefer names it" in forwarded.findings[0].message


def test_the_builders_author_and_default_user_names_are_no_evidence():
    a = ret("a.xlsx", respondent="Adult Social Care", by="sheetkit")
    b = ret("b.xlsx", respondent="Housing", by="sheetkit")
    c = ret("c.xlsx", respondent="Health", by="Microsoft Office User")
    d = ret("d.xlsx", respondent="Police", by="Microsoft Office User")
    settle([a, b, c, d], None)
    assert codes(a) == codes(b) == codes(c) == codes(d) == []
    old, new = ret("old.xlsx", by="Windows User", saved=(2026, 12, 1, 9)), ret("new.xlsx", by="Ann", saved=(2026, 12, 2, 9))
    settle([old, new], None)
    assert codes(old) == ["superseded"]  # one real name against a default is not two different people


def test_chase_tells_nothing_received_from_received_but_rejected():
    people = roster(Asked("Housing"), Asked("Health", files=("health.xlsx",)), Asked("Police"))
    housing = ret("housing.xlsx", round_="2025")
    damaged = CheckedReturn("in/health.xlsx", "s", status="rejected", reason="the file is damaged")
    outcome = settle([housing, damaged], people)
    assert outcome.round == "2026 Q4"
    assert outcome.chase == ["Housing", "Health", "Police"]
    assert outcome.chase_why == {"Housing": "received but rejected: housing.xlsx (round 2025, expected 2026 Q4)",
                                 "Health": "received but rejected: in/health.xlsx (the file is damaged)",
                                 "Police": "nothing received"}
    messages = [f.message for f in outcome.findings]
    assert messages[2] == "'Police' was sent a workbook but no return from them was found"
    assert "none could be used" in messages[0]


def test_unknown_respondents_are_warned_and_round_is_the_most_common_without_a_manifest():
    a, b, c = ret("a.xlsx", respondent="A"), ret("b.xlsx", respondent="B"), ret("c.xlsx", respondent="C", round_="2025")
    outcome = settle([a, b, c], None)
    assert outcome.round == "2026 Q4" and c.status == "rejected" and codes(c) == ["round-mismatch"]
    assert "from round '2025'" in c.findings[0].message and "as --previous" in c.findings[0].message
    outcome = settle([ret("x.xlsx", respondent="Stranger")], roster(Asked("Housing")))
    assert outcome.chase == ["Housing"]


def test_people_and_names_compare_loosely():
    assert person_key("Ann Smith") == person_key("smith, ann") == person_key("ann.smith@council.example")
    assert person_key("Ann Smith") != person_key("Ann Jones")
    assert base_name("returns.zip » Housing.xlsx") == "Housing.xlsx" == base_name("a/b/Housing.xlsx")


# -- identity: the build a return came from, and who saved it ----------------------------------
PARTNERS = {"Adult Social Care": ("Priya Shah", "asc.commissioning@anytown.gov.uk"),
            "Housing": ("Tom Reilly", "housing.strategy@anytown.gov.uk"),
            "Public Health": ("Dr Ama Mensah", "public.health@anytown.gov.uk"),
            "Provider Forum": ("Mark Owusu", "chair@anytowncare.org.uk")}


def exercise() -> Roster:
    """The sample partners, each with a build id and the SHA-256 of the workbook sent."""
    return roster(*(Asked(name, files=(f"{name}.xlsx",), build_id=f"build-{name}", contacts=people,
                          sha256s=(f"sent-{name}",)) for name, people in PARTNERS.items()))


def filled(partner: str, saved_by: str, file: str = "", **kw) -> CheckedReturn:
    return ret(file or f"{partner}.xlsx", respondent=partner, build=f"build-{partner}", by=saved_by, **kw)


def test_two_partners_filling_each_others_workbooks_are_both_held_back_whatever_the_pairing():
    # Housing's lead fills Adult Social Care's workbook and ASC's lead fills Housing's: neither is compiled.
    asc = filled("Adult Social Care", "Tom Reilly")
    housing = filled("Housing", "Priya Shah")
    outcome = settle([asc, housing], exercise())
    assert status([asc, housing]) == {"Adult Social Care.xlsx": "rejected", "Housing.xlsx": "rejected"}
    assert codes(asc) == codes(housing) == ["return-forwarded"]
    message = asc.findings[0].message
    assert "Adult Social Care's (build build-Adult Social Care" in message
    assert "last saved by Tom Reilly, who is the manifest's contact for Housing" in message
    assert "not Adult Social Care's (Priya Shah" in message and '--prefer "Adult Social Care.xlsx"' in message
    assert outcome.chase[:2] == ["Adult Social Care", "Housing"]


def test_three_partners_rotating_workbooks_are_each_held_back():
    rotated = [filled("Adult Social Care", "Tom Reilly"), filled("Housing", "Dr Ama Mensah"),
               filled("Public Health", "priya.shah@anytown.gov.uk")]
    settle(rotated, exercise())
    assert [r.status for r in rotated] == ["rejected"] * 3
    assert all(codes(r) == ["return-forwarded"] and r.findings[0].is_error for r in rotated)


def test_one_partner_filling_another_s_workbook_beside_their_own():
    own = filled("Housing", "Tom Reilly", saved=(2026, 12, 1, 9))
    for_asc = filled("Adult Social Care", "Reilly, Tom", saved=(2026, 12, 2, 9))
    settle([own, for_asc], exercise())
    assert own.status == "accepted" and codes(own) == []
    assert for_asc.status == "rejected" and codes(for_asc) == ["return-forwarded"]


def test_a_return_saved_by_its_own_contacts_email_or_a_longer_contact_entry_is_theirs():
    people = exercise()
    people.asked["housing"] = Asked("Housing", build_id="build-Housing", contacts=("Tom Reilly (Head of Housing)",))
    ok = [filled("Housing", "Tom Reilly"), filled("Adult Social Care", "asc.commissioning@anytown.gov.uk")]
    settle(ok, people)
    assert [codes(r) for r in ok] == [[], []]


def test_a_workbook_built_by_another_exercise_is_held_back_naming_where_it_came_from():
    other_council = filled("Housing", "Tom Reilly", file="housing-othertown.xlsx")
    other_council.build_id = "f00dfeedf00dfeed"
    other_council.return_to = "commissioning@othertown.gov.uk"
    other_council.built_at = "2026-09-14T10:00:00+00:00"
    other_council.deadline = "2026-11-15"
    outcome = settle([other_council], exercise())
    assert other_council.status == "rejected" and codes(other_council) == ["build-unknown"]
    finding = other_council.findings[0]
    assert finding.is_error and finding.file == "housing-othertown.xlsx" and finding.sheet == "_sheetkit"
    for said in ("build id f00dfeedf00dfeed", "Housing's workbook as build build-Housing", "lga-cbo" if False else
                 "round '2026 Q4'", "built 2026-09-14T10:00:00+00:00", "returned to commissioning@othertown.gov.uk",
                 '--prefer "housing-othertown.xlsx"'):
        assert said in finding.message
    assert outcome.chase_why["Housing"].startswith("received but rejected: housing-othertown.xlsx (built for "
                                                   "another exercise")


def test_the_lead_can_take_a_workbook_of_another_build_with_prefer():
    stray = filled("Housing", "Tom Reilly", file="housing-old-build.xlsx")
    stray.build_id = "0123456789abcdef"
    settle([stray], exercise(), prefer=["housing-old-build.xlsx"])
    assert stray.status == "accepted" and codes(stray) == ["build-unknown"] and not stray.findings[0].is_error


def test_without_a_manifest_the_build_ids_go_unchecked_with_one_warning():
    outcome = settle([ret("a.xlsx", build="x1"), ret("b.xlsx", respondent="Health", build="x2")], None)
    [finding] = [f for f in outcome.findings if f.code == "build-unknown"]
    assert not finding.is_error and "2 return(s)" in finding.message and "--manifest" in finding.message


def test_a_return_byte_for_byte_as_sent_is_rejected_and_chased_as_returned_unchanged():
    unopened = filled("Public Health", "", sha="sent-Public Health")
    outcome = settle([unopened], exercise())
    assert unopened.status == "rejected" and codes(unopened) == ["return-unchanged"]
    assert "byte for byte the workbook sent to Public Health" in unopened.findings[0].message
    assert outcome.chase_why["Public Health"] == "returned unchanged: Public Health.xlsx"


def test_identity_rests_on_the_build_id_not_the_name_in_the_workbook():
    typo = filled("Housing", "Tom Reilly")
    typo.respondent = "Housng"
    settle([typo], exercise())
    assert typo.status == "accepted" and typo.respondent == "Housing" and codes(typo) == ["respondent-renamed"]
    assert "'Housng'" in typo.findings[0].message and "counted as Housing's" in typo.findings[0].message


def test_files_that_are_not_workbooks_are_matched_to_their_respondent_by_name():
    from sheetkit.returns.settle import whose_file

    people = roster(*(Asked(n, files=(f"lga-cbo_{s}_2026-q4.xlsx",)) for n, s in
                      (("Health", "health"), ("Public Health", "public-health"), ("Housing", "housing"))))
    assert whose_file("lga-cbo_housing_2026-q4.pdf", people) == "housing"
    assert whose_file("mail.eml » Copy of lga-cbo_public-health_2026-q4.csv", people) == "public health"
    assert whose_file("Public Health return.pdf", people) == "public health"  # the longer name wins
    assert whose_file("Health and Housing.pdf", people) == ""  # two names: nothing certain
    assert whose_file("scan.pdf", people) == ""
    outcome = settle([], people, skipped={"lga-cbo_housing_2026-q4.pdf": "a PDF document", "scan.pdf": "a PDF document"})
    assert outcome.chase_why["Housing"] == ("received but rejected: lga-cbo_housing_2026-q4.pdf (it is a PDF "
                                            "document, not the workbook)")
    assert outcome.unusable == {"Housing": [("lga-cbo_housing_2026-q4.pdf", "it is a PDF document, not the workbook")]}
    assert outcome.chase_why["Health"] == "nothing received"
