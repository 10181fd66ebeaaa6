"""The suite cannot shrink silently: every id in tests/collected_ids.txt is still collected.

A test that is removed or renamed takes its line out of the list in the same change (``make test-ids`` rewrites
it), so the change shows which tests went and says why. New tests are welcome without a list update; the make
target adds them. A module skipped as a whole (an optional package missing) is reported by pytest as a skip,
not counted here as lost.
"""

from __future__ import annotations

LIST = "tests/collected_ids.txt"


def test_no_committed_test_id_disappears(collected_test_ids, committed_test_ids):
    collected, skipped_modules = collected_test_ids
    committed = committed_test_ids
    assert len(committed) > 500, f"{LIST} lists only {len(committed)} ids: run make test-ids"
    now = set(collected)
    lost = [i for i in committed if i not in now and not any(i.startswith(m + "::") for m in skipped_modules)]
    assert not lost, (
        f"{len(lost)} committed test ids are no longer collected:\n  " + "\n  ".join(lost[:40])
        + f"\nIf they were removed or renamed on purpose, run `make test-ids` and commit {LIST} "
          "with the change, saying why."
    )


def test_the_committed_list_is_sorted_and_unique(committed_test_ids):
    assert committed_test_ids == sorted(set(committed_test_ids)), f"write {LIST} with make test-ids, not by hand"
