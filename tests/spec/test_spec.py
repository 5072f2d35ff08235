"""The spec loader: the example loads into the typed Spec; broken files give located messages."""

from __future__ import annotations

import textwrap
from dataclasses import FrozenInstanceError
from datetime import date
from pathlib import Path

import pytest

from reconciler.errors import ReconcileError
from reconciler.records import AbsenceKind, AttendanceDirection
from reconciler.spec import SpecError, format_path, load_spec, parse_spec

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "mapping.yaml"
TODAY = date(2026, 11, 25)

VALID = """\
version: 1
start_date: 2026-01-01
moco:
  subdomain: acme
absences:
  types:
    Paid vacation: holiday
attendances:
  direction: moco_to_personio
"""


def spec_text(**replace: str) -> str:
    """VALID with whole lines swapped: spec_text(**{"subdomain: acme": "subdomain: Acme!"})."""
    text = VALID
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def problems_of(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_spec(textwrap.dedent(text), source="spec.yaml", today=TODAY)
    return [str(p) for p in caught.value.problems]


# ----------------------------------------------------------------------------- good specs


def test_example_loads_into_the_typed_spec():
    spec = load_spec(EXAMPLE, today=TODAY)
    assert spec.start_date == date(2026, 1, 1)
    assert spec.timezone == "Europe/Berlin"
    assert spec.moco.api_root == "https://acme.mocoapp.com/api/v1"
    assert spec.moco.rate_limit.requests == 120 and spec.moco.rate_limit.per_seconds == 120
    assert spec.personio.base_url == "https://api.personio.de"
    assert spec.users.overrides[0].personio == "jane.doe@acme.example"
    assert "robot@acme.example" in spec.users.exclude
    assert dict(spec.absences.types) == {
        "Paid vacation": AbsenceKind.HOLIDAY,
        "Sick leave": AbsenceKind.SICK_DAY,
        "Overtime compensation": AbsenceKind.UNPLANNABLE,
        "Training": AbsenceKind.ABSENCE,
    }
    assert spec.attendances.direction is AttendanceDirection.MOCO_TO_PERSONIO


def test_defaults_fill_what_the_file_leaves_out():
    spec = parse_spec(VALID, today=TODAY)
    assert spec.timezone == "Europe/Berlin"
    assert spec.moco.api_key_env == "MOCO_API_KEY"
    assert (spec.personio.client_id_env, spec.personio.client_secret_env) == (
        "PERSONIO_CLIENT_ID",
        "PERSONIO_CLIENT_SECRET",
    )
    assert spec.absences.enabled and spec.absences.until_days == 365 and spec.absences.unmapped == "skip"
    assert spec.users.overrides == () and spec.users.exclude == frozenset()
    assert spec.attendances.record_as == "times"


def test_record_as_duration_is_read():
    spec = parse_spec(spec_text(**{"  direction: moco_to_personio": "  direction: moco_to_personio\n"
                                                                     "  record_as: duration"}), today=TODAY)
    assert spec.attendances.record_as == "duration"


def test_spec_is_frozen():
    spec = parse_spec(VALID, today=TODAY)
    with pytest.raises(FrozenInstanceError):
        spec.start_date = date(2020, 1, 1)  # type: ignore[misc]


def test_base_url_overrides_subdomain_and_loses_its_trailing_slash():
    spec = parse_spec(spec_text(**{"  subdomain: acme": "  subdomain: acme\n  base_url: http://127.0.0.1:9001/api/v1/"}))
    assert spec.moco.api_root == "http://127.0.0.1:9001/api/v1"


def test_emails_are_lower_cased():
    text = VALID + "users:\n  overrides:\n    - {personio: Jane.Doe@ACME.example, moco: JANE@acme.example}\n  exclude: [Robot@Acme.Example]\n"
    spec = parse_spec(text, today=TODAY)
    assert spec.users.overrides[0].personio == "jane.doe@acme.example"
    assert spec.users.overrides[0].moco == "jane@acme.example"
    assert spec.users.exclude == frozenset({"robot@acme.example"})


def test_type_keys_stay_as_written_even_when_yaml_would_read_them_otherwise():
    spec = parse_spec(spec_text(**{"    Paid vacation: holiday": "    yes: holiday\n    12345: sick_day"}), today=TODAY)
    assert dict(spec.absences.types) == {"yes": AbsenceKind.HOLIDAY, "12345": AbsenceKind.SICK_DAY}


def test_disabled_absences_need_no_types():
    spec = parse_spec(spec_text(**{"  types:\n    Paid vacation: holiday": "  enabled: false"}), today=TODAY)
    assert not spec.absences.enabled


def test_empty_optional_sections_mean_defaults():
    spec = parse_spec(VALID + "users:\n  overrides:\n  exclude:\npersonio:\n", today=TODAY)
    assert spec.users.exclude == frozenset() and spec.personio.base_url == "https://api.personio.de"


def test_today_is_taken_in_the_spec_timezone():
    from datetime import datetime, timezone

    spec = parse_spec(spec_text(**{"start_date: 2026-01-01": "start_date: 2026-01-01\ntimezone: Pacific/Auckland"}))
    late_evening_utc = datetime(2026, 3, 1, 22, 0, tzinfo=timezone.utc)  # already 2 March in Auckland
    assert spec.today(late_evening_utc) == date(2026, 3, 2)


# ----------------------------------------------------------------------------- broken specs
# (spec text, "line:column" of the problem, key path, words the message must contain)

BROKEN = [
    pytest.param(spec_text(**{"version: 1": "version: 2"}), "1:1", "version", "version 2 is not supported", id="version"),
    pytest.param(spec_text(**{"start_date: 2026-01-01": "start_date: 2026-02-30"}), "2:1", "start_date",
                 "not a valid date; write it as YYYY-MM-DD", id="impossible-date"),
    pytest.param(spec_text(**{"start_date: 2026-01-01": "start_date: 01.01.2026"}), "2:1", "start_date",
                 "not a valid date", id="german-date"),
    pytest.param(spec_text(**{"start_date: 2026-01-01": "start_date: 2028-01-01"}), "2:1", "start_date",
                 "after the end of the sync window (today 2026-11-25 + absences.until_days 365 = 2027-11-25)",
                 id="start-after-window"),
    pytest.param(spec_text(**{"start_date: 2026-01-01": "start_date: 2026-01-01\ntimezone: Europe/Berln"}), "3:1",
                 "timezone", "not a known IANA time zone; did you mean 'Europe/Berlin'?", id="timezone"),
    pytest.param(spec_text(**{"  subdomain: acme": "  subdomian: acme"}), "4:3", "moco.subdomian",
                 "unknown key (did you mean 'subdomain'?)", id="typo-key"),
    pytest.param(spec_text(**{"  subdomain: acme": "  api_key_env: MOCO_API_KEY"}), "3:1", "moco",
                 "needs subdomain", id="no-subdomain-or-base-url"),
    pytest.param(spec_text(**{"  subdomain: acme": "  subdomain: acme.mocoapp.com"}), "4:3", "moco.subdomain",
                 "is not a MOCO subdomain", id="subdomain-is-a-host"),
    pytest.param(spec_text(**{"  subdomain: acme": "  base_url: https://acme.mocoapp.com"}), "4:3",
                 "moco.base_url", "must be the API root ending in /api/v1", id="base-url-without-api-v1"),
    pytest.param(spec_text(**{"  subdomain: acme": "  subdomain: acme\n  api_key_env: moco key"}), "5:3",
                 "moco.api_key_env", "is not an environment variable name", id="env-var-name"),
    pytest.param(spec_text(**{"  subdomain: acme": "  subdomain: acme\n  rate_limit: {requests: 0, per_seconds: 120}"}),
                 "5:16", "moco.rate_limit.requests", "must be at least 1, not 0", id="rate-limit-zero"),
    pytest.param(spec_text(**{"  subdomain: acme": "  subdomain: acme\n  rate_limit: {requests: 100}"}), "5:3",
                 "moco.rate_limit.per_seconds", "is required but missing", id="rate-limit-incomplete"),
    pytest.param(spec_text(**{"    Paid vacation: holiday": "    Sick leave: sick"}), "7:5",
                 'absences.types["Sick leave"]', "'sick' is not a MOCO absence kind; allowed: holiday, sick_day",
                 id="unknown-kind"),
    pytest.param(spec_text(**{"    Paid vacation: holiday": "    Paid vacation: holiday\n    paid  Vacation: absence"}),
                 "8:5", 'absences.types["paid  Vacation"]', "names the same Personio absence type as 'Paid vacation'",
                 id="duplicate-type"),
    pytest.param(spec_text(**{"  types:\n    Paid vacation: holiday": "  until_days: 30"}), "5:1", "absences.types",
                 "required while absences are enabled", id="types-missing"),
    pytest.param(spec_text(**{"  types:": "  until_days: ninety\n  types:"}), "6:3", "absences.until_days",
                 "must be a whole number, not 'ninety'", id="until-days-text"),
    pytest.param(spec_text(**{"  types:": "  unmapped: ignore\n  types:"}), "6:3", "absences.unmapped",
                 "'ignore' is not allowed here; allowed: skip, error", id="unmapped"),
    pytest.param(spec_text(**{"  direction: moco_to_personio": "  direction: both"}), "9:3", "attendances.direction",
                 "allowed: moco_to_personio, personio_managed", id="direction"),
    pytest.param(spec_text(**{"attendances:\n  direction: moco_to_personio\n": ""}), "1:1", "attendances",
                 "is required but missing", id="attendances-missing"),
    pytest.param(VALID + "  record_as: minutes\n", "10:3", "attendances.record_as",
                 "'minutes' is not allowed here; allowed: times, duration", id="record-as"),
    pytest.param(VALID + "  recorded_as: duration\n", "10:3", "attendances.recorded_as",
                 "unknown key (did you mean 'record_as'?)", id="record-as-misspelt"),
    pytest.param(VALID + "users:\n  exclude: [someone]\n", "11:13", "users.exclude[0]",
                 "'someone' is not an email address", id="exclude-not-email"),
    pytest.param(VALID + "users:\n  overrides:\n    - {personio: a@x.example, moco: b@x.example}\n"
                 "    - {personio: A@X.example, moco: c@x.example}\n", "13:8", "users.overrides[1].personio",
                 "already overridden at users.overrides[0].personio", id="override-twice"),
    pytest.param(VALID + "users:\n  overrides:\n    - {personio: a@x.example, moco: b@x.example}\n"
                 "  exclude: [B@x.example]\n", "12:31", "users.overrides[0].moco",
                 "both overridden here and excluded at users.exclude[0]", id="override-and-exclude"),
    pytest.param(VALID + "users:\n  overrides:\n    - {personio: a@x.example}\n", "12:7", "users.overrides[0].moco",
                 "is required but missing", id="override-half"),
    pytest.param(VALID + "personio:\n  base_url: https://api.personio.de/v2\n", "11:3", "personio.base_url",
                 "without /v1 or /v2", id="personio-url-with-version"),
    pytest.param(VALID + "personio:\n  base_url: 'https://[x'\n", "11:3", "personio.base_url",
                 "'https://[x' is not a valid URL (Invalid IPv6 URL)", id="personio-url-malformed"),
    pytest.param(spec_text(**{"  subdomain: acme": "  base_url: http://127.0.0.1:99999/api/v1"}), "4:3",
                 "moco.base_url", "is not a valid URL (Port out of range 0-65535)", id="port-out-of-range"),
    pytest.param(spec_text(**{"  subdomain: acme": "  base_url: http://127.0.0.1:0/api/v1"}), "4:3",
                 "moco.base_url", "has port 0; use a port from 1 to 65535", id="port-zero"),
    pytest.param(VALID + "personio:\n  client_id_env: P_ID\n  client_secret_env: P_ID\n", "12:3",
                 "personio.client_secret_env", "names the same environment variable as client_id_env",
                 id="same-env-for-id-and-secret"),
    pytest.param(VALID + "start_date: 2026-02-01\n", "10:1", "start_date", "the key 'start_date' is written twice (first at line 2)",
                 id="duplicate-key"),
    pytest.param(VALID + "secret: hunter2\n", "10:1", "secret", "unknown key; allowed here: version, start_date",
                 id="unknown-top-level"),
]


@pytest.mark.parametrize(("text", "where", "path", "words"), BROKEN)
def test_broken_spec_names_line_path_and_problem(text, where, path, words):
    problems = problems_of(text)
    expected = f"spec.yaml:{where}: {path}: "
    matching = [p for p in problems if p.startswith(expected)]
    assert matching, f"no problem at {expected!r} in {problems}"
    assert any(words in p for p in matching), matching


def test_every_problem_is_reported_at_once_in_file_order():
    text = spec_text(**{
        "version: 1": "version: 3",
        "  subdomain: acme": "  subdomian: acme",
        "  direction: moco_to_personio": "  direction: sideways",
    })
    problems = problems_of(text)
    lines = [int(p.split(":")[1]) for p in problems]
    assert lines == sorted(lines)
    assert any("version" in p for p in problems)
    assert any("moco.subdomian" in p for p in problems)
    assert any("attendances.direction" in p for p in problems)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "spec.yaml: the file is empty", id="empty"),
        pytest.param("- a\n- b\n", "spec.yaml:1:1: the top level must be a mapping", id="list"),
        pytest.param("version: 1\nmoco:\n  subdomain: acme\n   base_url: x\n", "spec.yaml:4:12: YAML syntax error",
                     id="indentation"),
        pytest.param("version: 1\n\tstart_date: 2026-01-01\n", "spec.yaml:2:1: YAML syntax error", id="tab"),
        pytest.param(VALID + "---\nversion: 1\n", "spec.yaml:10:1: the file holds more than one YAML document",
                     id="two-documents"),
    ],
)
def test_files_that_are_not_a_spec_at_all(text, message):
    assert any(p.startswith(message) for p in problems_of(text))


def test_missing_file_names_the_file_and_the_way_out(tmp_path):
    with pytest.raises(ReconcileError) as caught:
        load_spec(tmp_path / "nope.yaml")
    assert "nope.yaml not found" in str(caught.value) and "RECONCILE_CONFIG" in str(caught.value)


def test_binary_file_is_reported_not_crashed_on(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_bytes(b"version: 1\n\xff\xfe\n")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert str(caught.value.problems[0]).endswith(":2:1: is not UTF-8 text")


def test_format_path_quotes_keys_that_are_not_identifiers():
    assert format_path(("absences", "types", "Sick leave")) == 'absences.types["Sick leave"]'
    assert format_path(("users", "overrides", 0, "moco")) == "users.overrides[0].moco"
    assert format_path(("absences", "types", 'a "b"')) == 'absences.types["a \\"b\\""]'
