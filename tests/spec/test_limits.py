"""How big a spec may be (issue 20, finding 7): a small file that aliases expand to gigabytes, a file too
large, a value too long, many problems. Each is refused with a short message naming the place, in
bounded memory (tracemalloc's peak, with a generous bound: the finding took 2.4 to 10.7 GiB)."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from reconciler.spec import SpecError, load_spec, parse_spec
from reconciler.spec.limits import MAX_SPEC_BYTES, SHOWN_PROBLEMS, quote
from tests.spec.test_spec import TODAY, VALID

MIB = 1024 * 1024
MEMORY_BOUND = 100 * MIB


def aliased(email: str, aliases: int) -> str:
    """VALID with `email` anchored once in users.exclude and aliased `aliases` times after it."""
    return VALID + "users:\n  exclude:\n    - &big " + email + "\n" + "    - *big\n" * aliases


def refused(load: object) -> tuple[SpecError, int]:
    """The SpecError `load()` raises and the peak memory traced while it ran."""
    tracemalloc.start()
    try:
        with pytest.raises(SpecError) as caught:
            load()  # type: ignore[operator]
        return caught.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture
def megabyte_email() -> str:
    return "a" * 1_000_000 + "@acme.example"


def test_a_megabyte_email_aliased_a_thousand_times_is_refused_where_it_is_written(tmp_path, megabyte_email):
    path = tmp_path / "mapping.yaml"
    path.write_text(aliased(megabyte_email, 1_000))
    assert path.stat().st_size < MAX_SPEC_BYTES  # under the file cap: the value cap refuses it

    error, peak = refused(lambda: load_spec(path, today=TODAY))

    assert peak < MEMORY_BOUND
    assert len(error.problems) == 1
    assert str(error.problems[0]).startswith(f"{path}:12:7: users.exclude[0]: 'aaaa")
    assert "(1,000,013 characters) is too long" in str(error)
    assert len(str(error)) < 1000


def test_ninety_thousand_aliases_of_a_megabyte_email_are_refused_by_the_file_size(tmp_path, megabyte_email):
    path = tmp_path / "mapping.yaml"
    path.write_text(aliased(megabyte_email, 90_000))

    error, peak = refused(lambda: load_spec(path, today=TODAY))

    assert peak < MEMORY_BOUND
    assert [str(p) for p in error.problems] == [
        f"{path}: the file is larger than 1,048,576 bytes (1 MiB), the most a spec may be; a real one is a few KB "
        "(examples/mapping.yaml is 4.5 KB)"]


def test_aliases_that_expand_past_the_text_cap_are_refused_at_the_alias_that_crosses_it():
    email = "a" * 300 + "@acme.example"  # long, but under the schema's 320
    text = aliased(email, 5_000)

    error, peak = refused(lambda: parse_spec(text, source="spec.yaml", today=TODAY))

    assert peak < MEMORY_BOUND
    (problem,) = error.problems
    # 1 Mi characters / 313 a value (and the keys before): the 3,350th value crosses it, on line 12 + 3,349
    assert str(problem) == ("spec.yaml:3361:7: users.exclude[3349]: the file's text comes to more than 1,048,576 "
                            "characters here, counting each alias (*name) in full; a spec is far smaller")


def test_the_same_email_written_out_thousands_of_times_gives_a_short_message():
    text = VALID + "users:\n  exclude:\n" + "    - jane@acme.example\n" * 5_000

    error, peak = refused(lambda: parse_spec(text, source="spec.yaml", today=TODAY))

    assert peak < MEMORY_BOUND
    assert len(error.problems) == 4_999
    lines = str(error).splitlines()
    assert lines[0] == "spec.yaml is not a valid spec (4,999 problems):"
    assert len(lines) == 1 + SHOWN_PROBLEMS + 1
    assert lines[1] == ("  spec.yaml:13:7: users.exclude[1]: 'jane@acme.example' is already excluded at "
                        "users.exclude[0] (emails compare case-insensitively)")
    assert lines[-1].startswith(f"  ... and 4,979 more (the first {SHOWN_PROBLEMS} are shown")


@pytest.mark.parametrize(
    ("lines", "where", "words"),
    [
        pytest.param("users:\n  exclude:\n    - " + "b" * 400 + "@acme.example\n", "spec.yaml:12:7: users.exclude[0]",
                     "…' (413 characters) is too long: an email address may be at most 320 characters", id="email"),
        pytest.param("users:\n  overrides:\n    - {personio: a@acme.example, moco: " + "c" * 330 + "@x.example}\n",
                     "spec.yaml:12:34: users.overrides[0].moco", "may be at most 320 characters", id="override"),
        pytest.param("timezone: " + "Europe/" * 500 + "\n", "spec.yaml:10:1: timezone", "…' (3,500 characters) is not a "
                     "known IANA time zone", id="timezone"),
        pytest.param("moco_extra: &x " + "u" * 5000 + "\n", "spec.yaml:10:13",
                     "…' (5,000 characters) is too long: no key or value in a spec is longer than 4,096", id="any-value"),
    ],
)
def test_long_values_are_quoted_in_part(lines, where, words):
    with pytest.raises(SpecError) as caught:
        parse_spec(VALID + lines, source="spec.yaml", today=TODAY)
    found = [str(p) for p in caught.value.problems if str(p).startswith(where)]
    assert found and any(words in p for p in found), [str(p) for p in caught.value.problems]
    assert all(len(str(p)) < 400 for p in caught.value.problems)


def test_a_long_absence_type_name_is_refused_and_cut_in_the_message():
    name = "Paid vacation " * 20  # 280 characters
    text = VALID.replace("    Paid vacation: holiday\n", f"    {name.strip()}: holiday\n")
    with pytest.raises(SpecError) as caught:
        parse_spec(text, source="spec.yaml", today=TODAY)
    message = str(caught.value)
    assert "may be at most 200 characters" in message
    assert len(message) < 600


def test_quote_keeps_short_values_whole_and_cuts_long_ones():
    assert quote("jane@acme.example") == "'jane@acme.example'"
    assert quote("x" * 100) == "'" + "x" * 80 + "…' (100 characters)"
    assert quote("it's" + "y" * 100).startswith('"it\'s') and quote("it's" + "y" * 100).endswith('…" (104 characters)')


def test_an_endless_file_is_read_no_further_than_the_cap(tmp_path):
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    error, peak = refused(lambda: load_spec(Path("/dev/zero")))
    assert "larger than 1,048,576 bytes" in str(error)
    assert peak < 10 * MIB


def test_validate_says_it_briefly_and_exits_1(tmp_path, megabyte_email):
    path = tmp_path / "mapping.yaml"
    path.write_text(aliased(megabyte_email, 1_000))
    result = subprocess.run([sys.executable, "-m", "reconciler", "validate", "-c", str(path)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr) < 5_000
    assert "Traceback" not in result.stderr
    assert f"{path}:12:7: users.exclude[0]:" in result.stderr
