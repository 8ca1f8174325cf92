"""The ServiceNow tracker: records, fields, callers, journals, files, links."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from adapters.trackers.servicenow import build_tracker
from adapters.trackers.servicenow_fields import CHOICE_TTL, ChoiceLists
from adapters.trackers.servicenow_http import ServiceNowClient
from mailroom.errors import ConfigurationError, PermanentError
from mailroom.models import (
    Address,
    CommentDraft,
    FieldProblem,
    NormalizedMail,
    TicketDraft,
)
from mailroom.tickets import draft_ticket
from tests.adapters.trackers.contract import attachment
from tests.adapters.trackers.fake_servicenow import (
    INSTANCE,
    FakeServiceNow,
    section,
    tracker,
)

ADA = Address(email="ada@example.com", name="Ada Lindqvist")


def draft(correlation_id: str = "m-1", **fields: str) -> TicketDraft:
    """Return a draft from Ada with the given fields."""
    return TicketDraft(
        correlation_id=correlation_id,
        summary="Scanner offline",
        description="It stopped at 09:10.",
        requester=ADA,
        fields=fields,
    )


def test_create_stores_correlation_and_returns_number_and_url() -> None:
    """The record carries Mailroom's correlation; the key is its number."""
    fake = FakeServiceNow()
    ref = tracker(fake).create_ticket(draft("m-7"))
    row = fake.record("incident", ref.key)
    assert (ref.key, row["correlation_id"], row["correlation_display"]) == (
        "INC0010001",
        "m-7",
        "Mailroom",
    )
    assert ref.url == f"{INSTANCE}/nav_to.do?uri=incident.do?sys_id={row['sys_id']}"


def test_choice_labels_become_their_values() -> None:
    """ "High" and "Network" are stored as the choices' values."""
    fake = FakeServiceNow()
    key = tracker(fake).create_ticket(draft(urgency="High", category="Network")).key
    row = fake.record("incident", key)
    assert (row["urgency"], row["category"]) == ("1", "network")


def test_an_invalid_value_is_left_out_reported_and_returned() -> None:
    """A value outside the choice list is not sent but named in the record."""
    fake = FakeServiceNow()
    snow = tracker(fake)
    bad = draft(urgency="Extreme", impact="2", category="software")
    problems = snow.check_fields(bad)
    row = fake.record("incident", snow.create_ticket(bad).key)
    assert [(p.field, p.value) for p in problems] == [("urgency", "Extreme")]
    assert row["urgency"] == "" and row["impact"] == "2"
    assert "urgency = Extreme: not a choice of incident.urgency" in row["description"]


def test_problems_found_by_mailroom_are_reported_too() -> None:
    """Problems already on the draft appear in the description."""
    fake = FakeServiceNow()
    problem = FieldProblem(field="due", value="someday", reason="not a date")
    given = draft().model_copy(update={"problems": [problem]})
    row = fake.record("incident", tracker(fake).create_ticket(given).key)
    assert "due = someday: not a date" in row["description"]


def test_unmapped_fields_are_kept_in_the_description() -> None:
    """A field without a column is written into the description, not dropped."""
    fake = FakeServiceNow()
    row = fake.record("incident", tracker(fake).create_ticket(draft(room="12")).key)
    assert "  - room: 12" in row["description"]


def test_choice_lists_are_read_once_per_column() -> None:
    """Two creates read each column's choices once."""
    fake = FakeServiceNow()
    snow = tracker(fake)
    for correlation_id in ("m-1", "m-2"):
        snow.create_ticket(draft(correlation_id, urgency="2", impact="3"))
    reads = [path for _, path in fake.requests if path.endswith("/sys_choice")]
    assert len(reads) == 2


def test_the_requester_becomes_the_caller() -> None:
    """A sys_user with the requester's address is the caller."""
    fake = FakeServiceNow()
    user = fake.add_user("ada@example.com")
    row = fake.record("incident", tracker(fake).create_ticket(draft()).key)
    assert row["caller_id"] == user
    assert "ada@example.com" not in row["description"]


def test_an_unknown_requester_is_named_in_the_description() -> None:
    """Without a user the caller stays empty and the address is written down."""
    fake = FakeServiceNow()
    fake.add_user("ada@example.com", active=False)
    row = fake.record("incident", tracker(fake).create_ticket(draft()).key)
    assert row["caller_id"] == ""
    assert "Ada Lindqvist <ada@example.com>. No active" in row["description"]


def test_an_address_that_would_bend_the_query_is_not_looked_up() -> None:
    """A sender address holding a caret is never put in a query."""
    fake = FakeServiceNow()
    odd = draft().model_copy(
        update={"requester": Address(email="a^active=false@x.org")}
    )
    tracker(fake).create_ticket(odd)
    assert all(not path.endswith("/sys_user") for _, path in fake.requests)


def test_a_long_subject_is_cut_and_kept_whole_in_the_description() -> None:
    """short_description holds 160 characters; the description has all."""
    fake = FakeServiceNow()
    long = draft().model_copy(update={"summary": "x" * 200})
    row = fake.record("incident", tracker(fake).create_ticket(long).key)
    assert len(row["short_description"]) == 160
    assert row["description"].startswith("Subject: " + "x" * 200)


def test_a_subject_cut_for_every_tool_is_in_the_description_once() -> None:
    """A 320 KB subject: 160 characters on a word, the whole text once."""
    fake = FakeServiceNow()
    subject = "Scanner in room 12 offline " * 12_000
    mail = NormalizedMail(subject=subject, text_body="It stopped at 09:10.")
    ref = tracker(fake).create_ticket(draft_ticket(mail, "m-9", {}, []))

    row = fake.record("incident", ref.key)
    expected = "Scanner in room 12 offline " * 5 + "Scanner in room 12\u2026"
    assert row["short_description"] == expected
    assert row["description"].startswith(f"Subject: {subject.strip()}\n\nIt stopped")
    assert row["description"].count("Subject: ") == 1


def test_a_comment_says_who_wrote_it_and_carries_the_mark() -> None:
    """A public comment names its author and ends with Mailroom's mark."""
    fake = FakeServiceNow()
    snow = tracker(fake)
    key = snow.create_ticket(draft()).key
    snow.add_comment(key, CommentDraft(correlation_id="c-9", body="Done.", author=ADA))
    entry = fake.journal(fake.record("incident", key)["sys_id"])[0]
    assert entry["element"] == "comments"
    assert entry["value"].startswith("Ada Lindqvist <ada@example.com> wrote by mail:")
    assert entry["value"].endswith("Done.\n\n[mailroom:c-9]")


def test_a_comment_is_found_in_the_journal_by_a_new_process() -> None:
    """A second tracker (after a restart) finds the marked entry and skips it."""
    fake = FakeServiceNow()
    key = tracker(fake).create_ticket(draft()).key
    comment = CommentDraft(correlation_id="c-1", body="Rebooted.", public=False)
    tracker(fake).add_comment(key, comment)
    tracker(fake).add_comment(key, comment)
    assert len(fake.journal(fake.record("incident", key)["sys_id"])) == 1


def test_files_are_sent_raw_with_their_content_type() -> None:
    """The Attachment API gets the bytes as the body, not a form."""
    fake = FakeServiceNow()
    snow = tracker(fake)
    key = snow.create_ticket(draft()).key
    snow.attach(key, attachment("scan.log", b"abc"), b"abc")
    assert fake.files[0]["content_type"] == "text/plain"
    assert fake.files[0]["file_name"] == "scan.log"
    assert fake.blobs[fake.files[0]["sys_id"]] == b"abc"


def test_a_file_of_another_size_under_the_same_name_is_attached() -> None:
    """Name and size together decide whether a file is there already."""
    fake = FakeServiceNow()
    snow = tracker(fake)
    key = snow.create_ticket(draft()).key
    for data in (b"abc", b"abcd", b"abc"):
        snow.attach(key, attachment("scan.log", data), data)
    assert [f["size_bytes"] for f in fake.files] == ["3", "4"]


def test_bytes_that_do_not_match_the_hash_are_refused() -> None:
    """An attachment whose sha256 does not fit its bytes is not sent."""
    fake = FakeServiceNow()
    snow = tracker(fake)
    key = snow.create_ticket(draft()).key
    with pytest.raises(PermanentError, match="sha256"):
        snow.attach(key, attachment("scan.log", b"abc"), b"other")


def test_a_follow_up_incident_gets_the_first_as_parent() -> None:
    """On incident, link sets parent_incident to the other record."""
    fake = FakeServiceNow()
    snow = tracker(fake)
    first, second = (snow.create_ticket(draft(c)).key for c in ("m-1", "m-2"))
    snow.link(second, first, "follows-up")
    parent = fake.record("incident", second)["parent_incident"]
    assert parent == fake.record("incident", first)["sys_id"]


def test_a_link_on_another_table_is_a_work_note_written_once() -> None:
    """Without parent_incident, a work note names the related number once."""
    fake = FakeServiceNow(tables=("sc_task",))
    snow = tracker(fake, table="sc_task")
    first, second = (snow.create_ticket(draft(c)).key for c in ("m-1", "m-2"))
    snow.link(second, first, "forwarded-from")
    snow.link(second, first, "forwarded-from")
    notes = fake.journal(fake.record("sc_task", second)["sys_id"])
    assert [n["element"] for n in notes] == ["work_notes"]
    assert first in notes[0]["value"]


def test_an_event_is_recorded_as_a_marked_work_note() -> None:
    """record_event writes a work note with the event's details."""
    fake = FakeServiceNow()
    snow = tracker(fake)
    key = snow.create_ticket(draft()).key
    snow.record_event(key, "opened", {"mail_key": "m-1"})
    note = fake.journal(fake.record("incident", key)["sys_id"])[0]
    assert note["element"] == "work_notes"
    assert "opened (mail_key: m-1)" in note["value"]
    assert "[mailroom:event:opened]" in note["value"]


def test_a_table_without_correlation_id_is_refused_on_lookup() -> None:
    """ServiceNow ignores unknown query columns, so a lookup checks the answer."""
    fake = FakeServiceNow(tables=("u_note",))
    fake.rows["u_note"].append({"sys_id": "1" * 32, "number": "NOTE0000001"})
    with pytest.raises(PermanentError, match=r"trackers\.snow\.table"):
        tracker(fake, table="u_note").find_by_correlation("m-1")


def test_an_unknown_key_is_a_permanent_error() -> None:
    """A comment on a number the instance does not know names the record."""
    fake = FakeServiceNow()
    comment = CommentDraft(correlation_id="c-1", body="Hi")
    with pytest.raises(PermanentError, match="no record INC0099999"):
        tracker(fake).add_comment("INC0099999", comment)


def test_a_correlation_id_with_a_caret_is_refused() -> None:
    """Ids that could add query conditions never reach the instance."""
    fake = FakeServiceNow()
    with pytest.raises(PermanentError, match="caret"):
        tracker(fake).find_by_correlation("m-1^ORcorrelation_id!=x")
    assert fake.requests == []


def test_an_oauth_token_is_sent_as_a_bearer() -> None:
    """With oauth_token set, requests carry it as a bearer token."""
    fake = FakeServiceNow()
    fake.authorization = "Bearer tok-1"
    snow = tracker(fake, username=None, password=None, oauth_token="tok-1")
    assert snow.find_by_correlation("m-1") is None


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"username": None, "password": None}, "trackers.snow needs either"),
        ({"oauth_token": "t"}, "not both"),
        ({"table": "incident^x"}, "trackers.snow.table"),
        ({"field_map": {"urgency": "Urgency!"}}, "trackers.snow.field_map.urgency"),
    ],
)
def test_bad_settings_fail_at_build_naming_the_key(
    overrides: dict[str, object], setting: str
) -> None:
    """Each bad setting is named when the tracker is built."""
    with pytest.raises(ConfigurationError, match=setting.replace(".", r"\.")):
        build_tracker("snow", section(**overrides))


def test_an_instance_address_without_its_scheme_is_refused_by_the_section() -> None:
    """The section itself refuses it, before any tracker is built."""
    with pytest.raises(ValidationError, match="instance_url"):
        section(instance_url="example.service-now.com")


def test_choices_on_the_table_override_those_on_task() -> None:
    """Incident's own urgency list wins over the one inherited from task."""
    fake = FakeServiceNow()
    fake.add_choices("incident", "urgency", ("5", "Whenever"))
    snow = tracker(fake)
    assert snow.check_fields(draft(urgency="Whenever")) == []
    assert [p.value for p in snow.check_fields(draft(urgency="High"))] == ["High"]


def test_kept_choice_lists_are_read_again_after_their_time() -> None:
    """A changed list is seen once CHOICE_TTL has passed, not before."""
    fake = FakeServiceNow()
    now = [0.0]
    client = ServiceNowClient("snow", section(), fake.client())
    lists = ChoiceLists(client, "incident", clock=lambda: now[0])
    lists.choices("category")
    fake.add_choices("incident", "category", ("printer", "Printer"))
    assert "printer" not in [c.value for c in lists.choices("category")]
    now[0] = CHOICE_TTL + 1
    assert "printer" in [c.value for c in lists.choices("category")]
