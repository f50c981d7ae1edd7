"""A failed attempt's reason names the exception and hides what it quoted of the row."""

from __future__ import annotations

from jobs.failures import MAX_REASON, Abandoned, reason


def test_quoted_values_are_hidden_and_words_kept():
    error = ValueError("no stage named \"O'Brien\" in the application's job")
    assert reason(error) == "ValueError: no stage named '…' in the application's job"


def test_addresses_and_later_lines_are_left_out():
    error = RuntimeError("could not mail ada@example.com\nDETAIL: Key (name)=(Ada) exists")
    assert reason(error) == "RuntimeError: could not mail [email]"


def test_an_exception_without_text_is_its_type_and_a_long_one_is_cut():
    assert reason(TimeoutError()) == "TimeoutError"
    long = reason(ValueError("x" * 1000))
    assert len(long) == MAX_REASON and long.endswith("…")


def test_an_abandoned_row_counts_the_attempts_that_said_nothing():
    assert reason(Abandoned(11)) == "Abandoned: 10 attempts ended without an outcome"
